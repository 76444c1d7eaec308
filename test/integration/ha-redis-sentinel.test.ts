import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../shared/clock.js';
import { startSentinelSetup, sentinelAvailable, type SentinelSetup } from '../support/redis-sentinel.js';
import { uniquePrefix } from '../support/redis.js';
import { originalHeartbeat, startTestServer, waitFor, type TestServer } from '../support/server.js';

const available = await sentinelAvailable();

/** What one data server holds for a cache: its last-active time (ms), or 0. */
async function storedActive(setup: SentinelSetup, port: number, key: string): Promise<number> {
  return Number((await setup.client(port).hget(key, 'active')) ?? 0);
}

describe.runIf(available)('Redis through Sentinel', () => {
  let setup: SentinelSetup;
  let server: TestServer | undefined;
  let second: TestServer | undefined;
  const prefix = uniquePrefix();
  const uuid = `sentinel${Date.now()}`;
  const key = `${prefix}cache:${uuid}`;

  beforeAll(async () => {
    setup = await startSentinelSetup({ downAfterMs: 500 });
    server = await startTestServer({ amqp: false, clock: systemClock, flags: { redisUrl: setup.url, redisPrefix: prefix } });
  }, 40_000);

  afterAll(async () => {
    await second?.stop();
    await server?.stop();
    await setup?.stop();
  });

  it('keeps storing heartbeats after the primary is killed and the Sentinel promotes the replica', async () => {
    const beat = (at: number) => server!.ingest.handle(Buffer.from(JSON.stringify(originalHeartbeat({ uuid, timestamp: at / 1000 }))));

    expect(await beat(Date.now())).toEqual({ ok: true, event: 'joined' });
    // Written to the master the Sentinel named (the primary), and replicated.
    const before = await waitFor(() => storedActive(setup, setup.primary.port, key), { what: 'the entry in the primary' });
    expect(await setup.masterPort()).toBe(setup.primary.port);

    setup.primary.process.kill('SIGKILL');
    const started = Date.now();
    await waitFor(async () => (await setup.masterPort()) === setup.replica.port, { what: 'the Sentinel to promote the replica', timeoutMs: 20_000, intervalMs: 100 });
    const failoverMs = Date.now() - started;

    // A heartbeat after the failover reaches the new master (directly, or replayed once the clients moved).
    await new Promise((r) => setTimeout(r, 20));
    expect(await beat(Date.now())).toEqual({ ok: true, event: 'updated' });
    const after = await waitFor(async () => {
      const active = await storedActive(setup, setup.replica.port, key);
      return active > before ? active : 0;
    }, { what: 'the new heartbeat in the promoted replica', timeoutMs: 15_000 });
    expect(after).toBeGreaterThan(before);
    const health = await waitFor(async () => {
      const response = await fetch(`${server!.url}/readyz`);
      const body = (await response.json()) as { status: string; registry: { status: string } };
      return body.registry.status === 'ok' ? body : null;
    }, { what: 'the registry to be in step with the new master', timeoutMs: 15_000 });
    expect(health?.status).toBe('ok');

    // Read back through Sentinel by a replica that starts now: it loads the entry from the new master.
    second = await startTestServer({ amqp: false, clock: systemClock, flags: { redisUrl: setup.url, redisPrefix: prefix } });
    const loaded = await waitFor(() => second!.registry.get(uuid), { what: 'a new server to load the entry', timeoutMs: 10_000 });
    expect(loaded?.lastActiveMs).toBe(after);
    expect(failoverMs).toBeLessThan(20_000);
  }, 60_000);
});
