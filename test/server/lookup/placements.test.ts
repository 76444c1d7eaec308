import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../support/clock.js';
import { cacheEntry, cacheLocation, heartbeat } from '../../support/cache-entry.js';
import { host } from '../../support/identity.js';
import type { GeoRecord } from '../../../server/geo/geoip.js';
import type { WatchedGeoIp } from '../../../server/geo/geoip-watch.js';
import { createLookupService } from '../../../server/lookup/nearest.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';

const VICTORIA: GeoRecord = { ...cacheLocation(), city: 'Victoria', countryCode: 'CA' } as GeoRecord;
const GENEVA: GeoRecord = { ...cacheLocation({ latitude: 46.2, longitude: 6.1 }), city: 'Geneva', countryCode: 'CH' } as GeoRecord;

/** A GeoIP database that can be swapped, as a reload swaps the file: `lookup` answers from the one in use. */
function swappableGeoIp(first: GeoRecord) {
  let current = first;
  const listeners: (() => void)[] = [];
  const geoip: WatchedGeoIp = {
    lookup: () => current,
    builtAt: () => 0,
    path: () => '',
    reloads: () => 0,
    reload: () => Promise.resolve(true),
    onReload: (listener: () => void) => void listeners.push(listener),
    close: () => {},
  } as unknown as WatchedGeoIp;
  return {
    geoip,
    /** The database is replaced but not yet announced (a lookup in between still sees the callers placed before). */
    replace: (next: GeoRecord) => void (current = next),
    announce: () => listeners.forEach((l) => l()),
  };
}

async function world(first: GeoRecord) {
  const clock = createManualClock(0);
  const registry = createMemoryRegistry({ ttlMs: 3_600_000, clock });
  const location = cacheLocation();
  await registry.put(cacheEntry(heartbeat({ uuid: 'a', hostname: host('a.test') }), { location }));
  const db = swappableGeoIp(first);
  const lookup = createLookupService({ registry, geoip: db.geoip, options: { weights: { distanceWeight: 0.5, loadExponent: 1 }, defaultMaxLoad: 1000 } });
  return { registry, db, lookup, location };
}

describe('callers placed once per address', () => {
  it('places an address once, and as a lookup made afresh places it', async () => {
    const { registry, db, lookup } = await world(VICTORIA);
    const first = lookup.locate('198.51.100.7');
    expect(lookup.locate('198.51.100.7')).toBe(first);
    const fresh = createLookupService({ registry, geoip: db.geoip, options: { weights: { distanceWeight: 0.5, loadExponent: 1 }, defaultMaxLoad: 1000 } });
    expect(first).toEqual(fresh.locate('198.51.100.7'));
    expect(first).toMatchObject({ locatedBy: 'geoip', latitude: VICTORIA.latitude, sites: [] });
    // Shared by every request from that address: no one may change it.
    expect(Object.isFrozen(first)).toBe(true);
    // Asked with a position, or with no address, nothing is kept.
    expect(lookup.locate('198.51.100.7', { latitude: 1, longitude: 2 })).toMatchObject({ locatedBy: 'query', latitude: 1 });
    expect(lookup.locate(null)).not.toBe(lookup.locate(null));
  });

  it('places again once a cache declares a site holding the address (a new site index)', async () => {
    const { registry, lookup, location } = await world(VICTORIA);
    expect(lookup.locate('198.51.100.7').sites).toEqual([]);
    // A load update (ingest keeps the location it placed the cache at) leaves the site index, and so the placement, as it was.
    const before = lookup.locate('198.51.100.7');
    await registry.put(cacheEntry(heartbeat({ uuid: 'a', hostname: host('a.test'), load: 900 }), { location }));
    expect(lookup.locate('198.51.100.7')).toBe(before);
    await registry.put(cacheEntry(heartbeat({ uuid: 'b', hostname: host('b.test'), site: 'uvic', networks: ['198.51.100.0/24'] }), { location: cacheLocation() }));
    expect(lookup.locate('198.51.100.7')).toMatchObject({ locatedBy: 'site', sites: ['uvic'] });
  });

  it('places again after a GeoIP reload', async () => {
    const { db, lookup } = await world(VICTORIA);
    expect(lookup.locate('198.51.100.7').geo?.city).toBe('Victoria');
    db.replace(GENEVA);
    expect(lookup.locate('198.51.100.7').geo?.city).toBe('Victoria');
    db.announce();
    expect(lookup.locate('198.51.100.7')).toMatchObject({ locatedBy: 'geoip', latitude: GENEVA.latitude, geo: { city: 'Geneva' } });
  });
});
