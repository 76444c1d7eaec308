import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../support/clock.js';
import { BIN, runProgram, startProgram, type Running } from '../support/processes.js';
import { originalHeartbeat, startTestServer, waitFor, type TestServer } from '../support/server.js';
import { AMQP_URL, rabbitAvailable } from '../support/services.js';
import { squidAvailable, startOrigin, startSquid, type Origin, type SquidInstance } from '../support/squid.js';
import { makeTempDir } from '../support/temp.js';

const ready = (await rabbitAvailable()) && (await squidAvailable());
const REPO = 'atlas.cern.ch';
const MANAGER_PASSWORD = 'mgr-secret';
const publishedUrl = (origin: Origin) => `${origin.url}/cvmfs/${REPO}/.cvmfspublished`;

interface CheckOutput {
  check: { ok: boolean; reason?: string; url?: string };
  heartbeat: Record<string, unknown>;
}

/**
 * The agent as a site runs it, beside the real Squid: self-check through the cache, cache-manager
 * figures in the heartbeat, failing and recovering with the cache, goodbye on SIGTERM, and the same uuid
 * after a restart. The server's clock is manual and never advances, so whatever removes a cache here
 * is the agent's message, never the TTL.
 */
describe.runIf(ready)('shoal-agent beside the real Squid', () => {
  const clock = createManualClock(Date.now());
  let origin: Origin;
  let squid: SquidInstance;
  let server: TestServer;
  let agent: Running | null = null;
  let stateFile: string;
  let uuid: string;

  const agentArgs = () => [
    '--amqp-url', AMQP_URL,
    '--exchange', server.config.exchange,
    '--hostname', 'squid.agent-test',
    '--cache-host', '127.0.0.1',
    '--cache-port', String(squid.port),
    '--public-ip', '127.0.0.1',
    '--latitude', '48.46',
    '--longitude', '-123.31',
    '--test-urls', publishedUrl(origin),
    '--check-timeout', '2000',
    '--check-interval', '0',
    '--cache-manager-password', MANAGER_PASSWORD,
    '--interval', '1',
    '--jitter', '0',
    '--state-file', stateFile,
  ];

  const offered = async () => {
    const body = (await (await fetch(`${server.url}/api/v1/nearest?lat=48.4&lon=-123.3&count=10`)).json()) as { caches: { id: string }[] };
    return body.caches.map((c) => c.id);
  };

  beforeAll(async () => {
    origin = await startOrigin();
    squid = await startSquid({ managerPassword: MANAGER_PASSWORD });
    server = await startTestServer({ clock });
    // A healthy cache beside ours: with nothing else left, the server would offer a failing cache as a last resort.
    const other = await server.ingest.handle(JSON.stringify(originalHeartbeat({ uuid: 'other', hostname: 'other.agent-test', latitude: 48.4, longitude: -123.3 })));
    expect(other.ok).toBe(true);
    stateFile = join(await makeTempDir('shoal-agent-squid-'), 'state', 'uuid');
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    await squid?.stop();
    await origin?.close();
  });

  it('--check passes through the running Squid and prints the heartbeat, publishing nothing', async () => {
    const result = await runProgram(BIN.agent, [...agentArgs(), '--check']);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as CheckOutput;
    expect(out.check).toMatchObject({ ok: true, url: publishedUrl(origin) });
    expect(out.heartbeat).toMatchObject({ hostname: 'squid.agent-test', cache_port: String(squid.port) });
    expect(out.heartbeat.status).toBeUndefined();
    expect(out.heartbeat.client_count).toEqual(expect.any(Number));
    expect(out.heartbeat.request_rate).toEqual(expect.any(Number));
    expect(origin.requests).toContain(`/cvmfs/${REPO}/.cvmfspublished`);
    // The uuid it would publish under is kept for the daemon.
    uuid = (await readFile(stateFile, 'utf8')).trim();
    expect(out.heartbeat.uuid).toBe(uuid);
    expect(server.registry.get(uuid)).toBeUndefined();
  });

  it('advertises the cache with request rate and client count from the cache manager', async () => {
    agent = startProgram(BIN.agent, agentArgs());
    const entry = await waitFor(
      () => {
        const e = server.registry.get(uuid);
        return e && (e.heartbeat.requestRate ?? 0) > 0 ? e : undefined;
      },
      { what: 'a heartbeat with a request rate', timeoutMs: 15_000 },
    );
    expect(entry?.heartbeat.status).toBe('ok');
    // The agent itself is a client of the cache (its self-checks go through it).
    expect(entry?.heartbeat.clientCount).toBeGreaterThanOrEqual(1);
    expect(await offered()).toContain(uuid);
  });

  it('advertises the cache as failing when Squid stops, and the server stops offering it at once', async () => {
    await squid.stop();
    const entry = await waitFor(() => (server.registry.get(uuid)?.heartbeat.status === 'failing' ? server.registry.get(uuid) : undefined), {
      what: 'a failing heartbeat',
      timeoutMs: 15_000,
    });
    expect(entry?.heartbeat.statusReason).toContain('connection refused');
    expect(await offered()).not.toContain(uuid);
    await agent!.waitForOutput(/self-check failed/);

    const check = await runProgram(BIN.agent, [...agentArgs(), '--check']);
    expect(check.code).toBe(1);
    const out = JSON.parse(check.stdout) as CheckOutput;
    expect(out.check.ok).toBe(false);
    expect(out.heartbeat).toMatchObject({ status: 'failing', status_reason: expect.stringContaining('connection refused') });
  });

  it('advertises it again once Squid is back', async () => {
    squid = await startSquid({ port: squid.port, managerPassword: MANAGER_PASSWORD });
    await waitFor(() => server.registry.get(uuid)?.heartbeat.status === 'ok', { what: 'an ok heartbeat', timeoutMs: 15_000 });
    expect(await offered()).toContain(uuid);
    await agent!.waitForOutput(/self-check passes again/);
  });

  it('says goodbye on SIGTERM and the server drops the cache at once', async () => {
    expect(await agent!.stop()).toBe(0);
    expect(agent!.output()).toContain('said goodbye');
    await waitFor(() => server.registry.get(uuid) === undefined, { what: 'the goodbye', timeoutMs: 5000 });
    expect(await offered()).not.toContain(uuid);
  });

  it('comes back under the same uuid after a restart, leaving no ghost entry', async () => {
    agent = startProgram(BIN.agent, agentArgs());
    await waitFor(() => server.registry.get(uuid), { what: 'the restarted agent', timeoutMs: 15_000 });
    expect(server.registry.snapshot().filter((e) => e.heartbeat.hostname === 'squid.agent-test').map((e) => e.id)).toEqual([uuid]);
  });
});
