import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../shared/clock.js';
import { createTestVhost, rabbitAvailable } from '../support/services.js';
import { BIN, startProgram, type Running } from '../support/processes.js';
import { startTestServer, waitFor, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp.js';

const rabbit = await rabbitAvailable();

describe.runIf(rabbit)('broker connection dropped', () => {
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let server: TestServer;
  let agent: Running;
  const uuid = `reconnect${Date.now()}`;

  beforeAll(async () => {
    vhost = await createTestVhost();
    server = await startTestServer({ flags: { amqpUrl: vhost.url }, clock: systemClock });
    const dir = await makeTempDir('shoal-reconnect-');
    agent = startProgram(BIN.agent, [
      '--amqp-url', vhost.url,
      '--exchange', server.config.exchange,
      '--hostname', 'reconnect.test',
      '--public-ip', '142.104.1.1',
      '--uuid', uuid,
      '--interval', '1',
      '--test-urls', 'none', // no cache behind this agent: advertise without a self-check
      '--jitter', '0',
      '--state-file', join(dir, 'uuid'),
    ]);
    await waitFor(() => server.registry.get(uuid), { what: 'the first heartbeat', timeoutMs: 15_000 });
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    await vhost?.remove();
  });

  it('server and agent both reconnect and heartbeats flow again, while HTTP keeps answering', async () => {
    await vhost.drop();
    await waitFor(() => server.consumer?.state() === 'connecting', { what: 'the server to notice', timeoutMs: 5000 });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);

    await waitFor(() => server.consumer?.state() === 'connected', { what: 'the server to reconnect', timeoutMs: 20_000 });
    const seenAt = server.registry.get(uuid)?.lastActiveMs ?? 0;
    await waitFor(() => (server.registry.get(uuid)?.lastActiveMs ?? 0) > seenAt, { what: 'a heartbeat after reconnecting', timeoutMs: 20_000 });
    expect(agent.output()).toMatch(/AMQP connection lost; reconnecting/);
    expect(agent.child.exitCode).toBeNull();
  });
});
