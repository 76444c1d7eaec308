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
  /** The same caches grouped by where they are (see `LookupCells`). */
  cells: LookupCells;
}

/**
 * Caches grouped into cells of a latitude/longitude grid, plus one cell of the caches with no location,
 * so a lookup can visit the cells nearest in cost first and stop at the first cell whose lower bound is
 * above the count-th best cost found so far, instead of reading every cache. Members of cell `c` are
 * `members[start[c]]` to `members[start[c + 1] - 1]`, in index order.
 */
export interface LookupCells {
  count: number;
  start: Uint32Array;
  members: Uint32Array;
  /** Bounding box of the members' unit vectors (empty box for the unlocated cell: see `located`). */
  minX: Float64Array;
  maxX: Float64Array;
  minY: Float64Array;
  maxY: Float64Array;
  minZ: Float64Array;
  maxZ: Float64Array;
  /** 1 when the members have locations; 0 for the cell of caches without one (distance unknown). */
  located: Uint8Array;
  /** Lowest `loadCost` of the members. */
  minLoadCost: Float64Array;
  /** Bitwise OR of the members' flags: a cell lacking a required flag has no member to offer. */
  anyFlags: Uint16Array;
}

/** Grid step in degrees: 15° cells (at most 12 × 24 of them) keep the per-lookup work on cells small. */
const CELL_DEGREES = 15;

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
  return { ...index, cells: buildCells(index.flags, index.x, index.y, index.z, index.loadCost) };
}

function buildCells(flags: Uint16Array, x: Float64Array, y: Float64Array, z: Float64Array, loadCost: Float64Array): LookupCells {
  const n = flags.length;
  const columns = 360 / CELL_DEGREES;
  const degrees = 180 / Math.PI;
  // Grid key per cache; -1 for caches without a location (they share one cell).
  const keyOf = new Int32Array(n);
  const ids = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    let key = -1;
    if (((flags[i] as number) & FLAG.LOCATED) !== 0) {
      // Any grouping is correct (bounds come from the members' own vectors); nearby caches together make it useful.
      const latitude = Math.asin(Math.max(-1, Math.min(1, z[i] as number))) * degrees;
      const longitude = Math.atan2(y[i] as number, x[i] as number) * degrees;
      const row = Math.min(180 / CELL_DEGREES - 1, Math.floor((latitude + 90) / CELL_DEGREES));
      const column = Math.min(columns - 1, Math.floor((longitude + 180) / CELL_DEGREES));
      key = row * columns + column;
    }
    keyOf[i] = key;
    if (!ids.has(key)) ids.set(key, ids.size);
  }
  const count = ids.size;
  const cellOf = new Uint32Array(n);
  const sizes = new Uint32Array(count);
  for (let i = 0; i < n; i++) {
    const c = ids.get(keyOf[i] as number) as number;
    cellOf[i] = c;
    sizes[c] = (sizes[c] as number) + 1;
  }
  const cells: LookupCells = {
    count,
    start: new Uint32Array(count + 1),
    members: new Uint32Array(n),
    minX: new Float64Array(count).fill(Infinity),
    maxX: new Float64Array(count).fill(-Infinity),
    minY: new Float64Array(count).fill(Infinity),
    maxY: new Float64Array(count).fill(-Infinity),
    minZ: new Float64Array(count).fill(Infinity),
    maxZ: new Float64Array(count).fill(-Infinity),
    located: new Uint8Array(count),
    minLoadCost: new Float64Array(count).fill(Infinity),
    anyFlags: new Uint16Array(count),
  };
  for (let c = 0; c < count; c++) cells.start[c + 1] = (cells.start[c] as number) + (sizes[c] as number);
  const fill = cells.start.slice(0, count);
  for (let i = 0; i < n; i++) {
    const c = cellOf[i] as number;
    cells.members[fill[c] as number] = i;
    fill[c] = (fill[c] as number) + 1;
    cells.anyFlags[c] = (cells.anyFlags[c] as number) | (flags[i] as number);
    cells.minLoadCost[c] = Math.min(cells.minLoadCost[c] as number, loadCost[i] as number);
    if (keyOf[i] === -1) continue;
    cells.located[c] = 1;
    cells.minX[c] = Math.min(cells.minX[c] as number, x[i] as number);
    cells.maxX[c] = Math.max(cells.maxX[c] as number, x[i] as number);
    cells.minY[c] = Math.min(cells.minY[c] as number, y[i] as number);
    cells.maxY[c] = Math.max(cells.maxY[c] as number, y[i] as number);
    cells.minZ[c] = Math.min(cells.minZ[c] as number, z[i] as number);
    cells.maxZ[c] = Math.max(cells.maxZ[c] as number, z[i] as number);
  }
  return cells;
}

/** Straight-line distance from a point to a cell's bounding box: no member's unit vector is closer. */
export function distanceToCell(cells: LookupCells, c: number, px: number, py: number, pz: number): number {
  const dx = Math.max((cells.minX[c] as number) - px, 0, px - (cells.maxX[c] as number));
  const dy = Math.max((cells.minY[c] as number) - py, 0, py - (cells.maxY[c] as number));
  const dz = Math.max((cells.minZ[c] as number) - pz, 0, pz - (cells.maxZ[c] as number));
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
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
