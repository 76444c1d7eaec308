import { EARTH_RADIUS_KM } from '../geo/sphere.js';
import type { CacheEntry } from './cache.js';

/**
 * The rule for a cache with no location (no GeoIP record for its public address, no declared
 * coordinates). Its distance from a caller is unknown, not zero: counted as zero it came first for
 * callers on six continents, ahead of a cache 8 km away. The original server drops such a cache, WLCG
 * WPAD skips it and the CVMFS geo API puts it last. We keep it, so a site whose only cache GeoIP does
 * not know still gets it, but for a caller whose position is known it ranks after every located cache
 * (a cache of the caller's own site still comes first: locality beats distance), its `distance_km` is
 * null, its cost charges the farthest distance there is (half a great circle, so the cost the original
 * routes show as `distance` never reads as next door) and the answer's note says so. For a caller whose
 * position is unknown no distance is known at all: every cache is ranked by load alone, as before.
 */

/** Whether the cache has a location (declared coordinates, or GeoIP found its public address). */
export function isLocated(entry: Pick<CacheEntry, 'unit'>): boolean {
  return entry.unit !== null;
}

/** Whether the cache ranks after every located cache for this caller: the caller's position is known, the cache's is not. */
export function distanceUnknownFor(callerLocated: boolean, entry: Pick<CacheEntry, 'unit'>): boolean {
  return callerLocated && !isLocated(entry);
}

/** The distance such a cache's cost is charged: the farthest two places can be (the antipode). */
export const UNKNOWN_DISTANCE_KM = Math.PI * EARTH_RADIUS_KM;
