import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AMQP_URL, rabbitAvailable } from '../support/services.js';
import { BIN, startProgram, type Running } from '../support/processes.js';
import { publishRaw, startTestServer, waitFor, type TestServer } from '../support/server.js';
import { SECRETS, signed, uvicHeartbeat, writeKeyringFile } from '../support/security.js';
import { makeTempDir } from '../support/temp.js';

const rabbit = await rabbitAvailable();

describe.runIf(rabbit)('signed heartbeats through the real RabbitMQ (signature mode required)', () => {
  let server: TestServer;
  const uuid = `signed${Date.now()}`;

  const rejections = async (reason: string) => {
    const metric = await server.metrics.heartbeats.get();
    return metric.values.find((v) => v.labels.result === 'rejected' && v.labels.reason === reason)?.value ?? 0;
  };
  const publish = (message: unknown) => publishRaw(server.config.exchange, JSON.stringify(message));
  const now = () => server.clock.now();

  beforeAll(async () => {
    server = await startTestServer({ flags: { signatureMode: 'required', keyringFile: await writeKeyringFile(), signatureWindow: 300 } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('accepts a good heartbeat, rejects forged ones, and accepts the agent\'s next good one', async () => {
    await publish(signed(uvicHeartbeat(uuid, now(), { load: 10 }), 'uvic', 1));
    await waitFor(() => server.registry.get(uuid), { what: 'the first signed heartbeat' });
    expect(server.registry.get(uuid)?.signedBy).toBe('uvic');

    const forgeries: [string, unknown][] = [
      ['bad_signature', { ...signed(uvicHeartbeat(uuid, now(), { load: 11 }), 'uvic', 2), load: 99_999 }],
      ['replay', signed(uvicHeartbeat(uuid, now(), { load: 10 }), 'uvic', 1)],
      ['not_allowed', signed(uvicHeartbeat(uuid, now(), { public_ip: '188.184.1.1' }), 'uvic', 3)],
      ['not_allowed', signed(uvicHeartbeat(uuid, now(), { hostname: 'proxy.attacker.test' }), 'uvic', 4)],
      ['unsigned', uvicHeartbeat(uuid, now(), { load: 12 })],
      ['stale', signed(uvicHeartbeat(uuid, now() - 301_000), 'uvic', 5)],
      ['ownership', signed(uvicHeartbeat(uuid, now(), { hostname: 'x.cern.ch', public_ip: '188.184.1.1' }), 'cern', 1)],
    ];
    for (const [, message] of forgeries) await publish(message);
    for (const reason of new Set(forgeries.map(([r]) => r))) {
      const expected = forgeries.filter(([r]) => r === reason).length;
      await waitFor(async () => (await rejections(reason)) === expected, { what: `${expected} rejection(s) for ${reason}` });
    }
    const entry = server.registry.get(uuid);
    expect(entry?.heartbeat).toMatchObject({ load: 10, hostname: 'squid.uvic.ca', publicIp: '142.104.1.1' });

    await publish(signed(uvicHeartbeat(uuid, now(), { load: 20 }), 'uvic', 6));
    await waitFor(() => server.registry.get(uuid)?.heartbeat.load === 20, { what: 'the next good heartbeat' });

    const caches = (await (await fetch(`${server.url}/api/v1/caches`)).json()) as { caches: { id: string; signed_by: string | null }[] };
    expect(caches.caches.find((c) => c.id === uuid)?.signed_by).toBe('uvic');
  });
});

describe.runIf(rabbit)('a real agent with --key-id and --key-file', () => {
  let server: TestServer;
  const agents: Running[] = [];

  beforeAll(async () => {
    server = await startTestServer({ flags: { signatureMode: 'required', keyringFile: await writeKeyringFile(), signatureWindow: 300 } });
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await server?.stop();
  });

  const startAgent = async (uuid: string, secret: string) => {
    const dir = await makeTempDir('shoal-agent-key-');
    const keyFile = join(dir, 'uvic.key');
    await writeFile(keyFile, `${secret}\n`, { mode: 0o600 });
    const agent = startProgram(BIN.agent, [
      '--amqp-url', AMQP_URL, '--exchange', server.config.exchange, '--hostname', 'cache.uvic.ca',
      '--public-ip', '142.104.1.1', '--private-ip', '10.1.2.3', '--uuid', uuid, '--interval', '1', '--state-file', join(dir, 'uuid'),
      '--key-id', 'uvic', '--key-file', keyFile,
    ]);
    agents.push(agent);
    return agent;
  };

  it('is accepted with the right secret, and its goodbye removes it', async () => {
    const uuid = `agentsigned${Date.now()}`;
    const agent = await startAgent(uuid, SECRETS.uvic);
    await waitFor(() => server.registry.get(uuid), { what: 'the signed agent', timeoutMs: 15_000 });
    expect(server.registry.get(uuid)?.signedBy).toBe('uvic');
    await agent.stop();
    await waitFor(() => !server.registry.get(uuid), { what: 'the signed goodbye' });
  });

  it('is rejected with a wrong secret', async () => {
    const uuid = `agentwrong${Date.now()}`;
    await startAgent(uuid, 'not-the-uvic-secret-at-all');
    await waitFor(
      async () => ((await server.metrics.heartbeats.get()).values.find((v) => v.labels.reason === 'bad_signature')?.value ?? 0) >= 2,
      { what: 'two rejected heartbeats', timeoutMs: 15_000 },
    );
    expect(server.registry.get(uuid)).toBeUndefined();
  });
});
