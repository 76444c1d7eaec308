import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../shared/clock.js';
import { toUnitVector } from '../../../server/geo/sphere.js';
import { createSilentLogger } from '../../../shared/logger.js';
import { createRedisRegistry, type RedisRegistry } from '../../../server/registry/redis.js';
import type { CacheEntry } from '../../../server/model/cache.js';
import { clientIds, deleteKeys, killClients, redisAddress, testRedis, uniquePrefix } from '../../support/redis.js';
import { originalHeartbeat, waitFor } from '../../support/server.js';
import { REDIS_URL, redisAvailable } from '../../support/services.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';
import { cacheEntry, cacheLocation, parsedHeartbeat } from '../../support/cache-entry.js';

const redis = await redisAvailable();

function entry(overrides: Partial<CacheEntry> = {}, hb: Record<string, unknown> = {}): CacheEntry {
  const location = cacheLocation();
  const now = systemClock.now();
  return cacheEntry(parsedHeartbeat(originalHeartbeat(hb)), { location, unit: toUnitVector(location), createdMs: now, lastActiveMs: now, ...overrides });
}

describe.runIf(redis)('Redis registry (real Redis)', () => {
  let inspector: Redis;
  let prefix: string;
  const open: RedisRegistry[] = [];

  const replica = async (options: { ttlMs?: number; url?: string; name?: string } = {}) => {
    const registry = createRedisRegistry(
      { url: options.url ?? REDIS_URL, prefix, ttlMs: options.ttlMs ?? 60_000, resyncMs: 500, clientName: `${prefix}${options.name ?? 'replica'}` },
      { clock: systemClock, logger: createSilentLogger() },
    );
    open.push(registry);
    expect(await registry.waitLoaded(10_000)).toBe(true);
    return registry;
  };

  beforeAll(() => {
    inspector = testRedis();
  });
  afterEach(async () => {
    for (const r of open.splice(0)) await r.close();
    await deleteKeys(inspector, prefix);
  });
  afterAll(async () => {
    await inspector.quit();
  });
  // A fresh prefix per test, so no test sees another's caches.
  const fresh = () => (prefix = uniquePrefix());

  it('puts, gets and shares an entry with another replica, which gets it without a restart', async () => {
    fresh();
    const [a, b] = [await replica(), await replica()];
    const e = entry();
    expect(await a.put(e)).toBe('joined');
    expect(a.get(e.id)?.heartbeat.hostname).toBe('shoal-squid.test');
    const seen = await waitFor(() => b.get(e.id), { what: 'replica b to see the entry' });
    expect(seen?.heartbeat).toEqual(e.heartbeat);
    expect(seen?.location).toEqual(e.location);
    expect(seen?.unit).toEqual(e.unit);
    expect(b.snapshot().map((x) => x.id)).toEqual([e.id]);
    expect(await inspector.pttl(`${prefix}cache:${e.id}`)).toBeGreaterThan(50_000);
  });

  it("keeps a cache's location object across heartbeats that do not move it, on the writer and on another replica (a new one would rebuild the site index and drop every cached answer)", async () => {
    fresh();
    const [a, b] = [await replica(), await replica()];
    const first = entry();
    await a.put(first);
    const onB = await waitFor(() => b.get(first.id), { what: 'replica b to see the entry' });
    const [placedA, placedB] = [a.get(first.id)?.location, onB?.location];
    expect(placedA).toEqual(first.location);
    for (const load of [11, 12]) {
      await a.put(entry({ id: first.id, heartbeat: { ...first.heartbeat, load }, lastActiveMs: Date.now() + load }));
      await waitFor(() => b.get(first.id)?.heartbeat.load === load, { what: `b to see load ${load}` });
      expect(a.get(first.id)?.location).toBe(placedA);
      expect(b.get(first.id)?.location).toBe(placedB);
      expect(b.get(first.id)?.unit).toBe(onB?.unit);
    }
    // A cache that moved gets its new location.
    const moved = cacheLocation({ latitude: 46.2, longitude: 6.1, city: 'Geneva' });
    await a.put(entry({ id: first.id, heartbeat: { ...first.heartbeat, load: 13 }, location: moved, unit: toUnitVector(moved), lastActiveMs: Date.now() + 50 }));
    const there = await waitFor(() => (b.get(first.id)?.heartbeat.load === 13 ? b.get(first.id) : undefined), { what: 'b to see the move' });
    expect(there?.location).toEqual(moved);
    expect(there?.unit).toEqual(toUnitVector(moved));
  });

  it('a heartbeat its agent sent before its goodbye does not list the cache again, though another replica writes it after the goodbye', async () => {
    fresh();
    const [a, b] = [await replica(), await replica()];
    const first = entry();
    await a.put(first);
    await waitFor(() => b.get(first.id), { what: 'replica b to see the entry' });
    const sentS = first.heartbeat.timestamp;
    // The agent sends a heartbeat, then its goodbye, 5 ms later. The goodbye reaches b first.
    expect(await b.remove(first.id, { sentMs: sentS * 1000 + 5 })).toBeDefined();
    await waitFor(() => a.get(first.id) === undefined, { what: 'a to see the goodbye' });
    // a takes in the heartbeat afterwards (received later by a's clock): refused.
    const delayed = entry({ id: first.id, heartbeat: { ...first.heartbeat, timestamp: sentS + 0.004, load: 5 }, lastActiveMs: Date.now() + 50 });
    await a.put(delayed);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(a.get(first.id)).toBeUndefined();
    expect(b.get(first.id)).toBeUndefined();
    expect(await inspector.sismember(`${prefix}ids`, first.id)).toBe(0);
    // The agent starts again: its next heartbeat, sent after the goodbye, lists the cache on every replica.
    const back = entry({ id: first.id, heartbeat: { ...first.heartbeat, timestamp: sentS + 1, load: 6 }, lastActiveMs: Date.now() + 100 });
    expect(await a.put(back)).toBe('joined');
    await waitFor(() => b.get(first.id)?.heartbeat.load === 6, { what: 'b to see the cache back' });
  });

  it("an operator's removal refuses a heartbeat received before it and written after, not one received after it", async () => {
    fresh();
    const [a, b] = [await replica(), await replica()];
    const first = entry();
    await a.put(first);
    await waitFor(() => b.get(first.id), { what: 'replica b to see the entry' });
    const receivedBefore = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await b.remove(first.id)).toBeDefined();
    await waitFor(() => a.get(first.id) === undefined, { what: 'a to see the removal' });
    await a.put(entry({ id: first.id, heartbeat: { ...first.heartbeat, load: 7 }, lastActiveMs: receivedBefore }));
    expect(a.get(first.id)).toBeUndefined();
    expect(await a.put(entry({ id: first.id, heartbeat: { ...first.heartbeat, load: 8 }, lastActiveMs: Date.now() + 10 }))).toBe('joined');
    await waitFor(() => b.get(first.id)?.heartbeat.load === 8, { what: 'b to see the cache back' });
  });

  it('keeps createdMs and the verification across updates, from whichever replica writes', async () => {
    fresh();
    const [a, b] = [await replica(), await replica()];
    const first = entry({ createdMs: 1000 });
    await a.put(first);
    await waitFor(() => b.get(first.id));
    await b.setVerification(first.id, { ok: false, reason: 'fetch failed', checkedMs: 42 });
    await waitFor(() => a.get(first.id)?.verification?.ok === false, { what: 'a to see the verification' });

    // A later heartbeat, written by a replica that knows neither (createdMs now, verification null):
    const later = entry({ id: first.id, heartbeat: { ...first.heartbeat, load: 77 }, createdMs: Date.now(), lastActiveMs: Date.now() + 1, verification: null });
    expect(await b.put(later)).toBe('updated');
    const onA = await waitFor(() => (a.get(first.id)?.heartbeat.load === 77 ? a.get(first.id) : undefined), { what: 'a to see the update' });
    expect(onA?.createdMs).toBe(1000);
    expect(onA?.verification).toEqual({ ok: false, reason: 'fetch failed', checkedMs: 42 });
    expect(b.get(first.id)?.createdMs).toBe(1000);
  });

  it('refuses a write older than what Redis holds (a replayed write never goes back in time)', async () => {
    fresh();
    const a = await replica();
    const e = entry({}, { load: 5 });
    await a.put(e);
    await a.put({ ...e, heartbeat: { ...e.heartbeat, load: 1 }, lastActiveMs: e.lastActiveMs - 10_000 });
    expect(a.get(e.id)?.heartbeat.load).toBe(5);
    expect(await inspector.hget(`${prefix}cache:${e.id}`, 'active')).toBe(String(e.lastActiveMs));
  });

  it('keeps an entry whose heartbeat is newer than a removal replayed after an outage', async () => {
    fresh();
    const a = await replica();
    const e = entry({ lastActiveMs: Date.now() + 60_000 });
    await a.put(e);
    expect(await a.remove(e.id)).toBeUndefined();
    expect(a.get(e.id)?.id).toBe(e.id);
    expect(await inspector.exists(`${prefix}cache:${e.id}`)).toBe(1);
  });

  it('removes from every replica and returns what was removed', async () => {
    fresh();
    const [a, b] = [await replica(), await replica()];
    const e = entry();
    await a.put(e);
    await waitFor(() => b.get(e.id));
    const removed = await b.remove(e.id);
    expect(removed?.id).toBe(e.id);
    await waitFor(() => a.get(e.id) === undefined && a.snapshot().length === 0, { what: 'a to drop the entry' });
    // Only the removal's mark stays, no entry, and it goes within a cache's TTL.
    expect(await inspector.hkeys(`${prefix}cache:${e.id}`)).toEqual(['removed', 'removedSent']);
    expect(await inspector.pttl(`${prefix}cache:${e.id}`)).toBeLessThanOrEqual(60_000);
    expect(await b.remove(e.id)).toBeUndefined();
  });

  it('expires by the Redis key TTL, from Redis and every view', async () => {
    fresh();
    const [a, b] = [await replica({ ttlMs: 1000 }), await replica({ ttlMs: 1000 })];
    const e = entry();
    await a.put(e);
    await waitFor(() => b.get(e.id));
    const ttl = await inspector.pttl(`${prefix}cache:${e.id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
    await waitFor(async () => (await inspector.exists(`${prefix}cache:${e.id}`)) === 0, { what: 'Redis to expire the key', timeoutMs: 5000 });
    await waitFor(() => a.get(e.id) === undefined && b.get(e.id) === undefined && b.snapshot().length === 0, { what: 'the views to drop it' });
    // The id index is pruned by the next resync, so it does not grow with dead caches.
    await waitFor(async () => (await inspector.scard(`${prefix}ids`)) === 0, { what: 'the index to be pruned', timeoutMs: 5000 });
  });

  it('a replica that starts later (or restarts) loads everything from Redis', async () => {
    fresh();
    const a = await replica();
    const entries = [entry(), entry(), entry()];
    for (const e of entries) await a.put(e);
    await a.setVerification(entries[0]!.id, { ok: true, checkedMs: 7 });
    await a.close();
    const restarted = await replica();
    expect(restarted.snapshot().map((e) => e.id).sort()).toEqual(entries.map((e) => e.id).sort());
    expect(restarted.get(entries[0]!.id)?.verification).toEqual({ ok: true, checkedMs: 7 });
    expect(restarted.health()).toEqual({ status: 'ok', backend: 'redis' });
  });

  it('ignores an entry in Redis that does not parse, and keeps the others', async () => {
    fresh();
    const good = entry();
    const a = await replica();
    await a.put(good);
    await inspector.hset(`${prefix}cache:bad`, { data: '{"heartbeat":{"uuid":"bad"},"location":null}', active: '1', created: '1' });
    await inspector.sadd(`${prefix}ids`, 'bad');
    const b = await replica();
    expect(b.snapshot().map((e) => e.id)).toEqual([good.id]);
  });

  it('comes back after CLIENT KILL of its connections and receives events again', async () => {
    fresh();
    const [a, b] = [await replica({ name: 'killed' }), await replica({ name: 'kept' })];
    const killed = await killClients(inspector, `${prefix}killed`);
    expect(killed).toHaveLength(2);
    await waitFor(async () => (await clientIds(inspector, `${prefix}killed`)).filter((id) => !killed.includes(id)).length === 2, {
      what: 'a to open new connections',
    });
    await waitFor(() => a.health().status === 'ok', { what: 'a to be in step again' });
    const e = entry();
    await b.put(e);
    await waitFor(() => a.get(e.id), { what: 'a to see a write made after its reconnect' });
    const f = entry();
    await waitFor(async () => (await a.put(f)) === 'joined', { what: 'a to write again' });
    await waitFor(() => b.get(f.id), { what: 'b to see a write from a' });
  });

  it('Redis unreachable: answers from the last view, says degraded, keeps writes and replays them on return', async () => {
    fresh();
    const proxy = await startTcpProxy(redisAddress());
    try {
      const a = await replica({ url: `redis://127.0.0.1:${proxy.port}` });
      const b = await replica();
      const before = entry();
      await b.put(before);
      await waitFor(() => a.get(before.id));

      await proxy.block();
      await waitFor(() => a.health().status === 'degraded', { what: 'a to notice' });
      expect(a.get(before.id)?.id).toBe(before.id);
      const during = entry();
      expect(await a.put(during)).toBe('joined'); // taken locally while Redis is away
      expect(a.get(during.id)).toBeDefined();
      expect(b.get(during.id)).toBeUndefined();

      await proxy.unblock();
      await waitFor(() => a.health().status === 'ok', { what: 'a to recover', timeoutMs: 15_000 });
      await waitFor(() => b.get(during.id), { what: 'b to get the write a kept during the outage' });
      expect(a.snapshot().map((e) => e.id).sort()).toEqual([before.id, during.id].sort());
    } finally {
      await proxy.close();
    }
  });
});
