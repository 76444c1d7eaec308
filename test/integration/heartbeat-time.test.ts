import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../support/clock.js';
import { rabbitAvailable } from '../support/services.js';
import { originalHeartbeat, publishRaw, startTestServer, waitFor, type TestServer } from '../support/server.js';

const rabbit = await rabbitAvailable();

interface CacheBody {
  id: string;
  clock_drift_s: number;
  clock_drift: boolean;
  last_heartbeat: string;
}

/** Heartbeats as the original Python agent publishes them: json.dumps spacing, through the real exchange. */
const publish = (server: TestServer, hb: Record<string, unknown>) =>
  publishRaw(server.config.exchange, JSON.stringify(hb).replaceAll('":', '": ').replaceAll(',"', ', "'));

describe.runIf(rabbit)('heartbeat timestamps against the server clock (original agent, real AMQP)', () => {
  const T0 = Date.UTC(2026, 11, 1, 12);
  const clock = createManualClock(T0);
  let server: TestServer;
  const logs: { level: number; msg: string; reason?: string; hostname?: string; clock_drift_s?: number }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) });

  beforeAll(async () => {
    server = await startTestServer({ clock, logger, flags: { cacheTtl: 180 } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const counted = async (result: string, reason: string) =>
    (await server.metrics.heartbeats.get()).values.find((v) => v.labels.result === result && v.labels.reason === reason)?.value ?? 0;
  const caches = async () => ((await (await server.app.request('/api/v1/caches')).json()) as { caches: CacheBody[] }).caches;
  const cacheOf = async (id: string) => (await caches()).find((c) => c.id === id);

  it('refuses a new cache whose heartbeat is stamped an hour ago (stale), as the original does', async () => {
    const hb = originalHeartbeat({ hostname: 'queued.agent.test', timestamp: T0 / 1000 - 3600 });
    const before = await counted('rejected', 'stale');
    await publish(server, hb);
    await waitFor(async () => (await counted('rejected', 'stale')) > before, { what: 'the stale heartbeat to be refused' });
    expect(server.registry.get(hb.uuid as string)).toBeUndefined();
    expect((await caches()).map((c) => c.id)).not.toContain(hb.uuid);
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, msg: 'heartbeat rejected', reason: 'stale', hostname: 'queued.agent.test' }));
  });

  it('refuses one stamped exactly a TTL ago and lists one stamped just under it, drift flagged', async () => {
    const atTtl = originalHeartbeat({ hostname: 'at-ttl.agent.test', timestamp: T0 / 1000 - 180 });
    const underTtl = originalHeartbeat({ hostname: 'under-ttl.agent.test', timestamp: T0 / 1000 - 179 });
    const before = await counted('rejected', 'stale');
    await publish(server, atTtl);
    await publish(server, underTtl);
    await waitFor(() => server.registry.get(underTtl.uuid as string), { what: 'the heartbeat under the TTL' });
    await waitFor(async () => (await counted('rejected', 'stale')) === before + 1, { what: 'the heartbeat at the TTL to be refused' });
    expect(server.registry.get(atTtl.uuid as string)).toBeUndefined();
    expect(await cacheOf(underTtl.uuid as string)).toMatchObject({ clock_drift_s: 179, clock_drift: true });
  });

  it('shows drift over 10 s either way, and none within it, in /api/v1/caches and /api/v1/nearest', async () => {
    const behind = originalHeartbeat({ hostname: 'behind.agent.test', timestamp: T0 / 1000 - 25.04 });
    const ahead = originalHeartbeat({ hostname: 'ahead.agent.test', timestamp: T0 / 1000 + 42 });
    const onTime = originalHeartbeat({ hostname: 'ontime.agent.test', timestamp: T0 / 1000 - 9.5 });
    for (const hb of [behind, ahead, onTime]) await publish(server, hb);
    for (const hb of [behind, ahead, onTime]) await waitFor(() => server.registry.get(hb.uuid as string), { what: `${hb.hostname as string} listed` });

    expect(await cacheOf(behind.uuid as string)).toMatchObject({ clock_drift_s: 25, clock_drift: true });
    expect(await cacheOf(ahead.uuid as string)).toMatchObject({ clock_drift_s: -42, clock_drift: true });
    expect(await cacheOf(onTime.uuid as string)).toMatchObject({ clock_drift_s: 9.5, clock_drift: false });
    const driftLogged = logs.filter((l) => l.msg.startsWith('clock drift')).map((l) => [l.hostname, l.clock_drift_s]);
    expect(driftLogged).toEqual(expect.arrayContaining([['behind.agent.test', 25], ['ahead.agent.test', -42]]));
    expect(driftLogged.map(([h]) => h)).not.toContain('ontime.agent.test');

    const nearest = (await (await server.app.request('/api/v1/nearest?ip=188.184.1.1&count=10')).json()) as { caches: CacheBody[] };
    expect(nearest.caches.find((c) => c.id === behind.uuid)).toMatchObject({ clock_drift_s: 25, clock_drift: true });
    expect(nearest.caches.find((c) => c.id === onTime.uuid)).toMatchObject({ clock_drift: false });
  });

  it('marks a drifting cache on the status page as the original painted its row red, and counts them in /metrics', async () => {
    const page = await (await server.app.request('/')).text();
    const row = (host: string) => new RegExp(`<tr data-id="[^"]+" class="([^"]+)"><th scope="row" class="host"><a href="[^"]+">${host.replaceAll('.', '\\.')}</a></th>`).exec(page)?.[1];
    expect(row('behind.agent.test')).toMatch(/\bdrift\b/);
    expect(row('ahead.agent.test')).toMatch(/\bdrift\b/);
    expect(row('ontime.agent.test')).not.toMatch(/\bdrift\b/);
    expect(page).toContain('clock −25.0 s');
    expect(page).toContain('clock +42.0 s');
    const metrics = await (await server.app.request('/metrics')).text();
    // under-ttl, behind and ahead
    expect(metrics).toMatch(/^shoal_caches_clock_drift 3$/m);
  });

  it("keeps a listed cache listed on a heartbeat stamped an hour ago (it is still beating), as the original, with its drift shown", async () => {
    const first = originalHeartbeat({ hostname: 'jumped.agent.test', timestamp: T0 / 1000 });
    await publish(server, first);
    await waitFor(() => server.registry.get(first.uuid as string), { what: 'the cache listed' });
    expect(await cacheOf(first.uuid as string)).toMatchObject({ clock_drift: false });

    clock.advance(120_000);
    const late = { ...first, timestamp: (T0 + 120_000) / 1000 - 3600, load: 512.5 };
    await publish(server, late);
    await waitFor(() => server.registry.get(first.uuid as string)?.heartbeat.load === 512.5, { what: 'the late heartbeat applied' });
    const entry = server.registry.get(first.uuid as string);
    expect(entry?.lastActiveMs).toBe(T0 + 120_000);
    expect(await cacheOf(first.uuid as string)).toMatchObject({ clock_drift_s: 3600, clock_drift: true });

    // Refreshed: still listed a TTL after its first heartbeat.
    clock.advance(100_000);
    expect(server.registry.get(first.uuid as string)).toBeDefined();
  });
});
