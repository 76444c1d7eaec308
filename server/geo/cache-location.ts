import type { Heartbeat } from '../../shared/heartbeat.js';
import type { GeoIp, GeoRecord } from './geoip.js';
import { publicAddress, type CacheEntry, type CacheLocation } from '../model/cache.js';
import type { Registry } from '../registry/types.js';
import { toUnitVector } from './sphere.js';

const EMPTY_GEO: Omit<GeoRecord, 'latitude' | 'longitude'> = {
  city: null,
  regionCode: null,
  countryCode: null,
  countryName: null,
  continent: null,
  timeZone: null,
  postalCode: null,
  metroCode: null,
};

/**
 * A location written out field by field, every one in the same order. `{ ...geo, source }` gave each of
 * 10,000 caches a hidden class of its own (V8 copies a spread source's layout, and the GeoIP records'
 * layouts had diverged): 4 MB of layouts, and every read of a location field a megamorphic lookup.
 */
function cacheLocation(geo: Omit<GeoRecord, 'latitude' | 'longitude'>, latitude: number, longitude: number, source: CacheLocation['source']): CacheLocation {
  return {
    latitude,
    longitude,
    city: geo.city,
    regionCode: geo.regionCode,
    countryCode: geo.countryCode,
    countryName: geo.countryName,
    continent: geo.continent,
    timeZone: geo.timeZone,
    postalCode: geo.postalCode,
    metroCode: geo.metroCode,
    source,
  };
}

/** Declared coordinates win over GeoIP; city and country still come from GeoIP when it knows them. */
export function locateCache(hb: Heartbeat, geoip: GeoIp): CacheLocation | null {
  const address = publicAddress(hb);
  const looked = address ? geoip.lookup(address) : null;
  if (hb.latitude !== undefined && hb.longitude !== undefined) {
    return cacheLocation(looked ?? EMPTY_GEO, hb.latitude, hb.longitude, 'declared');
  }
  return looked ? cacheLocation(looked, looked.latitude, looked.longitude, 'geoip') : null;
}

/** A cache needs geolocating again only when what its location depends on changed. */
export function sameLocationInputs(a: Heartbeat, b: Heartbeat): boolean {
  return publicAddress(a) === publicAddress(b) && a.latitude === b.latitude && a.longitude === b.longitude;
}

/**
 * The location a heartbeat's cache gets: its listed entry's, while what that depends on is unchanged and
 * no GeoIP database was loaded since that entry's heartbeat (`loadedAt`), else looked up afresh. So a cache
 * is located again at its first heartbeat after a reload even where the pass of `relocateCaches` missed
 * it (a heartbeat in flight meanwhile, a replica's entry written with the database before).
 */
export function locationFor(hb: Heartbeat, previous: CacheEntry | undefined, geoip: GeoIp & { loadedAt?: () => number }): CacheLocation | null {
  const current = previous !== undefined && sameLocationInputs(previous.heartbeat, hb) && !(geoip.loadedAt && previous.lastActiveMs < geoip.loadedAt());
  return current ? previous.location : locateCache(hb, geoip);
}

/** Two locations alike in every field (or both none). */
export const sameLocation = (a: CacheLocation | null, b: CacheLocation | null): boolean =>
  a === b ||
  (a !== null &&
    b !== null &&
    a.latitude === b.latitude &&
    a.longitude === b.longitude &&
    a.source === b.source &&
    a.city === b.city &&
    a.regionCode === b.regionCode &&
    a.countryCode === b.countryCode &&
    a.countryName === b.countryName &&
    a.continent === b.continent &&
    a.timeZone === b.timeZone &&
    a.postalCode === b.postalCode &&
    a.metroCode === b.metroCode);

/**
 * After a new GeoIP database was loaded: every listed cache that GeoIP located (or could not locate) is
 * looked up again, and one whose location changed is put back with it (same liveness, same verification),
 * so the lookup index, site positions and serialised views, all made per registry view, follow. Caches
 * with declared coordinates keep them. Each entry is read and written with no wait in between, so a
 * heartbeat that arrives meanwhile is never overwritten by an older copy (a shared registry refuses an
 * older write too). Returns how many were looked at and how many moved.
 */
export async function relocateCaches(registry: Registry, geoip: GeoIp): Promise<{ checked: number; moved: number }> {
  let checked = 0;
  let moved = 0;
  for (const { id } of registry.snapshot()) {
    const entry = registry.get(id);
    if (!entry || entry.location?.source === 'declared') continue;
    checked++;
    const location = locateCache(entry.heartbeat, geoip);
    if (sameLocation(location, entry.location)) continue;
    moved++;
    await registry.put({ ...entry, location, unit: location ? toUnitVector(location) : null });
  }
  return { checked, moved };
}
