import { cacheCost, type RankWeights } from '../shared/rank.js';
import type { CacheEntry } from './registry/types.js';
import { isVerified, verificationAllows } from './verification/policy.js';

/**
 * The registry's view laid out in flat typed arrays, built once per view (the registry hands out the
 * same array until something changes). A lookup scans these contiguous arrays instead of chasing three
 * objects per cache: at 10,000 caches that pointer chasing, not the arithmetic, was the cost.
 */
export interface LookupIndex {
  entries: readonly CacheEntry[];
  flags: Uint16Array;
  /** Unit vector of each cache's location (0,0,0 when unknown: see `LOCATED`). */
  x: Float64Array;
  y: Float64Array;
  z: Float64Array;
  /** The load part of the cost, (1 − w)·(load/max_load)^b: a lower bound of the whole cost. */
  loadCost: Float64Array;
}

export const FLAG = Object.freeze({
  /** Not saying goodbye. */
  LIVE: 1,
  /** Verified as the original meant it (agent says so, or the server checked it). */
  VERIFIED: 2,
  CVMFS: 4,
  FRONTIER: 8,
  SQUID: 16,
  VARNISH: 32,
  /** Open to every caller (access global) and not failed by the server's own verification. */
  OPEN: 64,
  /** Failing its self-check, or at or over its max load: offered only when nothing else is left. */
  DEGRADED: 128,
  /** Has a location (unit vector in x, y, z). */
  LOCATED: 256,
});

/**
 * Builds the index of a view. Flags only pre-filter: every cache that passes is checked again by the
 * lookup's own rules, so a flag may let through too much but must never hold back a cache the rules allow.
 */
export function buildLookupIndex(entries: readonly CacheEntry[], weights: RankWeights, defaultMaxLoad: number): LookupIndex {
  const n = entries.length;
  const index = {
    entries,
    flags: new Uint16Array(n),
    x: new Float64Array(n),
    y: new Float64Array(n),
    z: new Float64Array(n),
    loadCost: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const e = entries[i] as CacheEntry;
    const hb = e.heartbeat;
    const maxLoad = hb.maxLoad ?? defaultMaxLoad;
    let f = 0;
    if (hb.status !== 'leaving') f |= FLAG.LIVE;
    if (isVerified(e)) f |= FLAG.VERIFIED;
    if (hb.upstream === 'both' || hb.upstream === 'cvmfs') f |= FLAG.CVMFS;
    if (hb.upstream === 'both' || hb.upstream === 'frontier') f |= FLAG.FRONTIER;
    f |= hb.cacheType === 'varnish' ? FLAG.VARNISH : FLAG.SQUID;
    if (hb.access === 'global' && verificationAllows(e, false)) f |= FLAG.OPEN;
    if (hb.status === 'failing' || hb.load >= maxLoad) f |= FLAG.DEGRADED;
    if (e.unit) {
      f |= FLAG.LOCATED;
      index.x[i] = e.unit[0];
      index.y[i] = e.unit[1];
      index.z[i] = e.unit[2];
    }
    index.flags[i] = f;
    index.loadCost[i] = cacheCost({ distanceKm: null, load: hb.load, maxLoad }, weights);
  }
  return index;
}

/** Flags a cache must have to be offered to a caller outside every site. */
export function requiredFlags(query: { upstream: 'cvmfs' | 'frontier' | 'any'; type: 'squid' | 'varnish' | 'any'; verifiedOnly: boolean }): number {
  let need = FLAG.LIVE | FLAG.OPEN;
  if (query.verifiedOnly) need |= FLAG.VERIFIED;
  if (query.upstream === 'cvmfs') need |= FLAG.CVMFS;
  if (query.upstream === 'frontier') need |= FLAG.FRONTIER;
  if (query.type === 'squid') need |= FLAG.SQUID;
  if (query.type === 'varnish') need |= FLAG.VARNISH;
  return need;
}
