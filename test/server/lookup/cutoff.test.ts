import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../support/clock.js';
import { toUnitVector, unitDistanceKm } from '../../../server/geo/sphere.js';
import type { Heartbeat } from '../../../shared/heartbeat.js';
import { createCostCutoff, rankCaches } from '../../../server/lookup/rank.js';
import type { GeoIp } from '../../../server/geo/geoip.js';
import { createLookupService, type LookupQuery } from '../../../server/lookup/nearest.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';
import type { CacheEntry } from '../../../server/model/cache.js';
import { createSeededRandom as createRandom } from '../../../bench/random.js';
import { host, port } from '../../support/identity.js';
import { cacheEntry } from '../../support/cache-entry.js';


const noGeoIp: GeoIp = { lookup: () => null, builtAt: () => 0, path: () => '' };
const weights = { distanceWeight: 0.5, loadExponent: 1 };

/**
 * `clustered`: caches share 12 places (poles and the date line among them), 4 loads and 5 hostnames, so
 * equal costs are common and must break ties exactly as ranking every cache does.
 */
async function world(n: number, seed: number, clustered = false) {
  const places = [[90, 0], [-90, 0], [0, 180], [0, -180], [10, 179.99], [10, -179.99], [46.2, 6.1], [46.3, 6.2], [48.4, -123.4], [35.7, 139.7], [-33.9, 151.2], [0, 0]] as const;
  const clock = createManualClock();
  const registry = createMemoryRegistry({ ttlMs: 180_000, clock });
  const random = createRandom(seed);
  for (let i = 0; i < n; i++) {
    const place = places[i % places.length] as readonly [number, number];
    const latitude = clustered ? place[0] : Math.asin(2 * random() - 1) * (180 / Math.PI);
    const longitude = clustered ? place[1] : random() * 360 - 180;
    const hb: Heartbeat = {
      uuid: `c${i}`,
      hostname: host(`cache-${i % (clustered ? 5 : 50)}.test`), // repeated names: ties must break as before
      cachePort: port(3128),
      cacheType: i % 7 === 0 ? 'varnish' : 'squid',
      upstream: (['both', 'cvmfs', 'frontier'] as const)[i % 3] as Heartbeat['upstream'],
      verified: i % 2 === 0,
      maxLoad: i % 5 === 0 ? null : 100_000,
      load: clustered ? [0, 1000, 50_000, 130_000][i % 4] as number : i % 11 === 0 ? 0 : Math.round(random() * 120_000), // some overloaded, some idle
      timestamp: 1,
      access: i % 23 === 0 ? 'site' : 'global',
      status: i % 13 === 0 ? 'failing' : i % 29 === 0 ? 'leaving' : 'ok',
      ...(i % 17 === 0 ? { site: `site-${i}` } : {}),
    };
    const location = { latitude, longitude, city: null, regionCode: null, countryCode: null, countryName: null, continent: null, timeZone: null, postalCode: null, metroCode: null, source: 'declared' as const };
    const unlocated = i % 19 === 0;
    const verification = i % 31 === 0 ? { ok: false, checkedMs: 0 } : i % 37 === 0 ? { ok: true, checkedMs: 0 } : null;
    await registry.put(cacheEntry(hb, { location: unlocated ? null : location, unit: unlocated ? null : toUnitVector(location), lastActiveMs: clock.now(), verification }));
  }
  return { registry, random };
}

/** The lookup's rules for a caller outside every site, applied to every cache, then ranked. */
function bruteForce(entries: readonly CacheEntry[], q: LookupQuery) {
  const unit = q.caller.latitude === null || q.caller.longitude === null ? null : toUnitVector({ latitude: q.caller.latitude, longitude: q.caller.longitude });
  const eligible = (relaxed: boolean) =>
    entries
      .filter((e) => e.heartbeat.status !== 'leaving' && e.heartbeat.access === 'global' && (e.verification === null || e.verification.ok))
      .filter((e) => !q.verifiedOnly || e.heartbeat.verified || e.verification?.ok === true)
      .filter((e) => q.upstream === 'any' || e.heartbeat.upstream === 'both' || e.heartbeat.upstream === q.upstream)
      .filter((e) => q.type === 'any' || e.heartbeat.cacheType === q.type)
      .map((e) => ({ e, maxLoad: e.heartbeat.maxLoad ?? 122_000 }))
      .filter(({ e, maxLoad }) => relaxed || (e.heartbeat.status !== 'failing' && e.heartbeat.load < maxLoad))
      .map(({ e, maxLoad }) => ({
        entry: e,
        local: false,
        distanceKm: unit && e.unit ? unitDistanceKm(unit, e.unit) : null,
        unlocated: unit !== null && e.unit === null,
        load: e.heartbeat.load,
        maxLoad,
        hostname: e.heartbeat.hostname,
      }));
  let all = eligible(false);
  if (all.length === 0) all = eligible(true);
  return rankCaches(all, q.count, weights).map((r) => r.item.entry.id);
}

describe('lookup cost cutoff', () => {
  it.each([
    [1, false, 3000],
    [5, false, 3000],
    [10, false, 3000],
    [100, false, 3000],
    [1, true, 3000],
    [5, true, 3000],
    [10, true, 3000],
    [100, true, 3000],
    // Few caches: the located ones often leave places, which the ones with no location then fill, in load order.
    [40, false, 60],
    [20, true, 60],
    [100, false, 400],
  ])('answers exactly what ranking every cache answers (count %i, clustered %s, %i caches)', async (count, clustered, n) => {
    const { registry, random } = await world(n, count, clustered);
    const lookup = createLookupService({ registry, geoip: noGeoIp, options: { weights, defaultMaxLoad: 122_000 } });
    let withUnlocated = 0;
    for (let i = 0; i < 200; i++) {
      const located = i % 10 !== 0;
      const q: LookupQuery = {
        caller: { ip: null, locatedBy: located ? 'query' : 'unknown', latitude: located ? random() * 180 - 90 : null, longitude: located ? random() * 360 - 180 : null, geo: null, sites: [] },
        count,
        upstream: (['any', 'cvmfs', 'frontier'] as const)[i % 3] as LookupQuery['upstream'],
        type: i % 4 === 0 ? 'varnish' : 'any',
        verifiedOnly: i % 5 === 0,
      };
      const answer = lookup.nearest(q).caches;
      expect(answer.map((c) => c.entry.id)).toEqual(bruteForce(registry.snapshot(), q));
      if (located && answer.some((c) => c.entry.unit === null)) withUnlocated++;
    }
    // The small worlds do reach the caches with no location, after the located ones.
    if (n < 1000) expect(withUnlocated).toBeGreaterThan(0);
  });
});

describe('one walk for several upstreams (nearestEach, the lists of a PAC file)', () => {
  it.each([
    [10, false, 3000],
    [10, true, 3000],
    [5, false, 60],
    [40, true, 400],
  ])('gives each upstream exactly what ranking every cache for it alone gives (count %i, clustered %s, %i caches)', async (count, clustered, n) => {
    const { registry, random } = await world(n, 7 * count, clustered);
    const lookup = createLookupService({ registry, geoip: noGeoIp, options: { weights, defaultMaxLoad: 122_000 } });
    for (let i = 0; i < 150; i++) {
      const located = i % 10 !== 0;
      const caller: LookupQuery['caller'] = { ip: null, locatedBy: located ? 'query' : 'unknown', latitude: located ? random() * 180 - 90 : null, longitude: located ? random() * 360 - 180 : null, geo: null, sites: [] };
      const base = { caller, type: i % 4 === 0 ? 'varnish' : 'any', verifiedOnly: i % 5 === 0 } as const;
      // Different counts per lane too: each lane keeps its own cutoff.
      const queries: LookupQuery[] = [
        { ...base, count, upstream: 'cvmfs' },
        { ...base, count: i % 3 === 0 ? 1 : count, upstream: 'frontier' },
      ];
      const answers = lookup.nearestEach(queries);
      queries.forEach((q, at) => {
        expect(answers[at]?.caches.map((c) => c.entry.id)).toEqual(bruteForce(registry.snapshot(), q));
        expect(answers[at]).toEqual(lookup.nearest(q));
      });
    }
  });

  it('refuses queries of different callers, whose walks could not be shared', async () => {
    const { registry } = await world(10, 1);
    const lookup = createLookupService({ registry, geoip: noGeoIp, options: { weights, defaultMaxLoad: 122_000 } });
    const caller = (): LookupQuery['caller'] => ({ ip: null, locatedBy: 'unknown', latitude: null, longitude: null, geo: null, sites: [] });
    const q = (c: LookupQuery['caller']): LookupQuery => ({ caller: c, count: 3, upstream: 'cvmfs', type: 'any', verifiedOnly: false });
    expect(() => lookup.nearestEach([q(caller()), q(caller())])).toThrow(/same caller/);
    expect(lookup.nearestEach([])).toEqual([]);
  });
});

describe('createCostCutoff', () => {
  it('is the count-th lowest cost offered, Infinity until count were offered', () => {
    const cutoff = createCostCutoff(3);
    expect(cutoff.value()).toBe(Infinity);
    for (const c of [0.9, 0.1, 0.5]) cutoff.offer(c);
    expect(cutoff.value()).toBe(0.9);
    cutoff.offer(0.2);
    expect(cutoff.value()).toBe(0.5);
    cutoff.offer(0.7);
    expect(cutoff.value()).toBe(0.5);
  });
});
