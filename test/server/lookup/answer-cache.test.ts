import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../support/clock.js';
import { cacheEntry, heartbeat } from '../../support/cache-entry.js';
import { host } from '../../support/identity.js';
import { toUnitVector } from '../../../server/geo/sphere.js';
import type { GeoIp } from '../../../server/geo/geoip.js';
import { answerKey, createAnswerCache } from '../../../server/lookup/answer-cache.js';
import { createLookupService, type Caller, type LookupQuery, type LookupResult } from '../../../server/lookup/nearest.js';
import { createDrainList } from '../../../server/registry/drains.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';
import type { CacheEntry } from '../../../server/model/cache.js';

const noGeoIp: GeoIp = { lookup: () => null, builtAt: () => 0, path: () => '' };
const weights = { distanceWeight: 0.5, loadExponent: 1 };
const TTL_MS = 1000;

const PLACES = [
  [46.2, 6.1],
  [48.4, -123.4],
  [35.7, 139.7],
  [-33.9, 151.2],
  [41.8, -88.3],
] as const;

/** Caller `i`: callers 2k and 2k+1 share a place (different addresses), some sit in site `site-0`. */
function caller(i: number): Caller {
  const [latitude, longitude] = PLACES[Math.floor(i / 2) % PLACES.length] as readonly [number, number];
  return { ip: `192.0.2.${i + 1}`, locatedBy: 'query', latitude, longitude, geo: null, sites: i % 5 === 4 ? ['site-0'] : [], nat: null };
}
const CALLERS = Array.from({ length: 6 }, (_, i) => caller(i));

function entryAt(n: number, fields: { load?: number; verificationOk?: boolean | null } = {}): CacheEntry {
  const [latitude, longitude] = PLACES[n % PLACES.length] as readonly [number, number];
  const location = { latitude: latitude + n * 0.01, longitude, city: null, regionCode: null, countryCode: null, countryName: null, continent: null, timeZone: null, postalCode: null, metroCode: null, source: 'declared' as const };
  const hb = heartbeat({
    uuid: `c${n}`,
    hostname: host(`cache-${n}.test`),
    upstream: (['both', 'cvmfs', 'frontier'] as const)[n % 3],
    load: fields.load ?? (n * 37) % 1000,
    ...(n % 4 === 0 ? { site: 'site-0' } : {}),
    ...(n % 8 === 0 ? { access: 'site' as const } : {}),
  });
  const verification = fields.verificationOk === undefined || fields.verificationOk === null ? null : { ok: fields.verificationOk, checkedMs: 0 };
  return cacheEntry(hb, { location, unit: toUnitVector(location), verification });
}

async function world(caches: number) {
  // At 0, where the fixtures' entries were last active: nothing expires within a test.
  const clock = createManualClock(0);
  const registry = createMemoryRegistry({ ttlMs: 3_600_000, clock });
  for (let n = 0; n < caches; n++) await registry.put(entryAt(n));
  const drains = createDrainList();
  const deps = { registry, geoip: noGeoIp, options: { weights, defaultMaxLoad: 1000 }, isDrained: drains.has, drainsVersion: drains.version };
  const fresh = createLookupService(deps);
  const cached = createAnswerCache(createLookupService(deps), clock, { ttlMs: TTL_MS });
  return { clock, registry, drains, fresh, cached };
}

/** An answer without what is the caller's own. */
const ranking = (r: LookupResult) => ({ ...r, caller: null });

type Op =
  | { kind: 'ask'; caller: number; upstream: LookupQuery['upstream']; count: number }
  | { kind: 'load'; cache: number; load: number }
  | { kind: 'join' | 'leave' | 'drain' | 'undrain'; cache: number }
  | { kind: 'verify'; cache: number; ok: boolean }
  | { kind: 'wait'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  // Few questions from few places, so that answers are often shared.
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('ask' as const), caller: fc.nat(CALLERS.length - 1), upstream: fc.constantFrom('cvmfs' as const, 'any' as const), count: fc.constantFrom(1, 5) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('load' as const), cache: fc.nat(24), load: fc.nat(1500) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('join' as const, 'leave' as const, 'drain' as const, 'undrain' as const), cache: fc.nat(24) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('verify' as const), cache: fc.nat(24), ok: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.constantFrom(10, 300, 999, 1000, 1500) }) },
);

describe('answer cache', () => {
  it('hands out only answers equal to a fresh lookup made for that caller when it was cached, within its lifetime and epoch', async () => {
    let hits = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 20, maxLength: 80 }), async (ops) => {
        const { clock, registry, drains, fresh, cached } = await world(20);
        // For each answer the cache made: when, after how many events, and what a fresh lookup gave each caller asking the same.
        const made = new Map<string, { atMs: number; events: number; freshFor: Map<number, unknown> }>();
        let events = 0;
        for (const o of ops) {
          if (o.kind === 'ask') {
            const query = (i: number): LookupQuery => ({ caller: CALLERS[i] as Caller, count: o.count, upstream: o.upstream, type: 'any', verifiedOnly: false });
            const key = answerKey(query(o.caller));
            const before = cached.stats();
            const answer = cached.nearest(query(o.caller));
            expect(answer.caller).toBe(CALLERS[o.caller]);
            if (cached.stats().misses > before.misses) {
              expect(ranking(answer)).toEqual(ranking(fresh.nearest(query(o.caller))));
              const freshFor = new Map<number, unknown>();
              CALLERS.forEach((_, i) => {
                if (answerKey(query(i)) === key) freshFor.set(i, ranking(fresh.nearest(query(i))));
              });
              made.set(key, { atMs: clock.now(), events, freshFor });
            } else {
              hits++;
              const at = made.get(key);
              expect(at, 'a hit for an answer the cache never made').toBeDefined();
              expect(clock.now() - (at?.atMs ?? 0)).toBeLessThan(TTL_MS);
              expect(at?.events, 'a hit across a join, leave, drain or verification change').toBe(events);
              expect(ranking(answer)).toEqual(at?.freshFor.get(o.caller));
            }
          } else if (o.kind === 'load') {
            const e = registry.get(`c${o.cache}`);
            if (e) await registry.put({ ...e, heartbeat: { ...e.heartbeat, load: o.load } });
          } else if (o.kind === 'join') {
            if (!registry.get(`c${o.cache}`)) {
              await registry.put(entryAt(o.cache, { load: 0 }));
              events++;
            }
          } else if (o.kind === 'leave') {
            if (await registry.remove(`c${o.cache}`)) events++;
          } else if (o.kind === 'drain' || o.kind === 'undrain') {
            const was = drains.has(`c${o.cache}`);
            if (o.kind === 'drain') drains.drain(`c${o.cache}`);
            else drains.undrain(`c${o.cache}`);
            if (was !== drains.has(`c${o.cache}`)) events++;
          } else if (o.kind === 'verify') {
            const e = registry.get(`c${o.cache}`);
            if (e && e.verification?.ok !== o.ok) {
              await registry.put({ ...e, verification: { ok: o.ok, checkedMs: clock.now() } });
              events++;
            }
          } else if (o.kind === 'wait') clock.advance(o.ms);
        }
      }),
      { numRuns: 60 },
    );
    // The property says little unless answers were shared.
    expect(hits).toBeGreaterThan(100);
  });

  it('shows a join in the very next answer, and keeps its answer through a load update', async () => {
    const { clock, registry, cached } = await world(10);
    const q: LookupQuery = { caller: CALLERS[0] as Caller, count: 3, upstream: 'any', type: 'any', verifiedOnly: false };
    const first = cached.nearest(q);
    const top = first.caches[0]?.entry;
    expect(top).toBeDefined();
    await registry.put({ ...(top as CacheEntry), heartbeat: { ...(top as CacheEntry).heartbeat, load: 999 } });
    clock.advance(500);
    expect(cached.nearest(q).caches.map((c) => c.entry.id)).toEqual(first.caches.map((c) => c.entry.id));
    expect(cached.stats()).toMatchObject({ hits: 1, misses: 1 });
    // A cache at the caller's very place, idle: first for it at once.
    const [latitude, longitude] = PLACES[0];
    const location = { latitude, longitude, city: null, regionCode: null, countryCode: null, countryName: null, continent: null, timeZone: null, postalCode: null, metroCode: null, source: 'declared' as const };
    await registry.put(cacheEntry(heartbeat({ uuid: 'next-door', hostname: host('next-door.test'), load: 0 }), { location, unit: toUnitVector(location) }));
    expect(cached.nearest(q).caches[0]?.entry.id).toBe('next-door');
    // The load update is seen once the answer's lifetime is over.
    clock.advance(TTL_MS);
    expect(cached.nearest({ ...q, count: 10 }).caches.find((c) => c.entry.id === top?.id)?.entry.heartbeat.load).toBe(999);
  });

  it('is shared by callers placed alike, and not by callers placed apart or asking something else', async () => {
    const { cached } = await world(10);
    const q = (i: number, upstream: LookupQuery['upstream'] = 'cvmfs'): LookupQuery => ({ caller: CALLERS[i] as Caller, count: 3, upstream, type: 'any', verifiedOnly: false });
    cached.nearest(q(0));
    cached.nearest(q(1)); // same place, other address: shared
    cached.nearest(q(2)); // elsewhere
    cached.nearest(q(0, 'frontier')); // another question
    expect(cached.stats()).toEqual({ hits: 1, misses: 3, size: 3 });
  });

  it('with a lifetime of 0 makes every lookup afresh', async () => {
    const { clock, registry } = await world(10);
    const deps = { registry, geoip: noGeoIp, options: { weights, defaultMaxLoad: 1000 } };
    const off = createAnswerCache(createLookupService(deps), clock, { ttlMs: 0 });
    const q: LookupQuery = { caller: CALLERS[0] as Caller, count: 3, upstream: 'any', type: 'any', verifiedOnly: false };
    off.nearest(q);
    off.nearest(q);
    expect(off.stats()).toEqual({ hits: 0, misses: 0, size: 0 });
  });

  it('keeps at most maxEntries answers, the oldest going first', async () => {
    const { clock, registry } = await world(10);
    const deps = { registry, geoip: noGeoIp, options: { weights, defaultMaxLoad: 1000 } };
    const small = createAnswerCache(createLookupService(deps), clock, { ttlMs: TTL_MS, maxEntries: 2 });
    const q = (count: number): LookupQuery => ({ caller: CALLERS[0] as Caller, count, upstream: 'any', type: 'any', verifiedOnly: false });
    for (const count of [1, 2, 3]) small.nearest(q(count));
    small.nearest(q(3));
    small.nearest(q(1)); // gone: made again
    expect(small.stats()).toEqual({ hits: 1, misses: 4, size: 2 });
  });

  it('lets expired answers go as new ones come, so it holds about one lifetime of them, not maxEntries', async () => {
    const { clock, cached } = await world(10);
    const q = (count: number): LookupQuery => ({ caller: CALLERS[0] as Caller, count, upstream: 'any', type: 'any', verifiedOnly: false });
    // A new question every 100 ms for 5 lifetimes: about ten are alive at any moment.
    for (let i = 0; i < 50; i++) {
      cached.nearest(q(1 + i));
      clock.advance(TTL_MS / 10);
      expect(cached.stats().size).toBeLessThanOrEqual(11);
    }
    expect(cached.stats()).toMatchObject({ hits: 0, misses: 50 });
  });

  it('answers nearestEach (a PAC file) from the cache too, list by list', async () => {
    const { cached, fresh } = await world(20);
    const qs = (['cvmfs', 'frontier'] as const).map((upstream): LookupQuery => ({ caller: CALLERS[3] as Caller, count: 5, upstream, type: 'any', verifiedOnly: false }));
    const a = cached.nearestEach(qs);
    const b = cached.nearestEach(qs);
    expect(b.map(ranking)).toEqual(a.map(ranking));
    expect(a.map(ranking)).toEqual(fresh.nearestEach(qs).map(ranking));
    expect(cached.stats()).toEqual({ hits: 2, misses: 2, size: 2 });
  });
});
