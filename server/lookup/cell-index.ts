import { cacheCost, type RankWeights } from './rank.js';
import { effectiveMaxLoad, isDegraded, isLeaving, isVerified, servesUpstream, verificationAllows, type CacheEntry } from '../model/cache.js';
import { isLocated } from '../model/location.js';

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
  /**
   * Changes when something other than load may change who is offered: a cache joined, left, moved, said
   * goodbye or started or stopped failing its agent's self-check, its access changed (any flag but
   * DEGRADED), or the server's verification of it passed or failed. Load, max load and the overloaded state
   * they drive leave it as it was: the answer cache (answer-cache.ts) lives by it.
   */
  offerVersion: number;
}

/**
 * Caches grouped into cells of a latitude/longitude grid, plus one cell of the caches with no location,
 * so a lookup can visit the cells nearest in cost first and stop at the first cell whose lower bound is
 * above the count-th best cost found so far, instead of reading every cache. Members of cell `c` are
 * `members[start[c]]` to `members[start[c + 1] - 1]`, in rising steps of load cost (then index), so a
 * lookup leaves a cell at the first member whose step's floor, plus the distance to the cell, is too high.
 */
export interface LookupCells {
  count: number;
  start: Uint32Array;
  members: Uint32Array;
  /** For each place in `members`: a lower bound of the load cost of that member and of every later one in its cell. */
  memberFloor: Float64Array;
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
  /** The cell of each cache, by index. */
  cellOf: Uint32Array;
}

/**
 * Cells are the cubes of a GRID × GRID × GRID grid over [-1, 1]³, the space of the unit vectors (no
 * trigonometry per cache; with 4 a cube's side is 0.5, about 29° of arc). With members in load order a
 * cell is left early, so few large cells beat many small ones, whose choosing costs more than it saves:
 * on 10,000 caches around 150 centres a 5-cache lookup took 6.4 µs with 30° latitude/longitude cells,
 * 7.6 with 20°, 9.5 with 15°, 13.1 with 45°.
 */
const GRID = 4;

/** Load-cost steps within a cell: a counting sort (O(n)) instead of a comparison sort, on every registry change. */
const LOAD_STEPS = 256;

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
export function buildLookupIndex(entries: readonly CacheEntry[], weights: RankWeights, defaultMaxLoad: number, offerVersion = 0): LookupIndex {
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
    if (e.unit) {
      index.x[i] = e.unit[0];
      index.y[i] = e.unit[1];
      index.z[i] = e.unit[2];
    }
    index.flags[i] = entryFlags(e, defaultMaxLoad);
    index.loadCost[i] = entryLoadCost(e, weights, defaultMaxLoad);
  }
  const { flags, x, y, z, loadCost } = index;
  return { entries, flags, x, y, z, loadCost, cells: buildCells(flags, x, y, z, loadCost), offerVersion };
}

function entryFlags(e: CacheEntry, defaultMaxLoad: number): number {
  const hb = e.heartbeat;
  let f = 0;
  if (!isLeaving(hb)) f |= FLAG.LIVE;
  if (isVerified(e)) f |= FLAG.VERIFIED;
  if (servesUpstream(hb, 'cvmfs')) f |= FLAG.CVMFS;
  if (servesUpstream(hb, 'frontier')) f |= FLAG.FRONTIER;
  f |= hb.cacheType === 'varnish' ? FLAG.VARNISH : FLAG.SQUID;
  if (hb.access === 'global' && verificationAllows(e, false)) f |= FLAG.OPEN;
  if (isDegraded(hb, defaultMaxLoad)) f |= FLAG.DEGRADED;
  if (isLocated(e)) f |= FLAG.LOCATED;
  return f;
}

function entryLoadCost(e: CacheEntry, weights: RankWeights, defaultMaxLoad: number): number {
  const hb = e.heartbeat;
  return cacheCost({ distanceKm: null, load: hb.load, maxLoad: effectiveMaxLoad(hb, defaultMaxLoad) }, weights);
}

/** A cell's load-cost step of a cache; loads over max_load (cost ≥ 1) all go in the last step. */
const loadStep = (cost: number) => (cost >= 0 ? Math.min(LOAD_STEPS - 1, Math.floor(cost * LOAD_STEPS)) : 0);

/** Above this share of changed caches, building afresh is cheaper than updating. */
const UPDATE_AT_MOST = 1 / 16;

/** The slots whose entries differ, or null when more than UPDATE_AT_MOST of them do. */
function changedSlotsOf(before: readonly CacheEntry[], after: readonly CacheEntry[]): number[] | null {
  const changed: number[] = [];
  for (let i = 0; i < after.length; i++) {
    if (after[i] === before[i]) continue;
    changed.push(i);
    if (changed.length > after.length * UPDATE_AT_MOST) return null;
  }
  return changed;
}

/**
 * The index of `entries`, a view that follows `previous`'s view: the same as `buildLookupIndex(entries)`,
 * array for array, without building it again. A heartbeat of a listed cache puts a new entry in its slot
 * and nothing else moves, so only the changed slots are described again: their flags and load cost, and
 * their place in their cell when their load step changed. At 10,000 caches a build took 0.6 ms, paid by
 * the first lookup after each heartbeat. Builds afresh when the view's length changed (a cache joined or
 * left), a changed cache moved, or too many changed. `previous` is left as it was: its arrays are copied
 * before they change, and those that cannot change (locations, cell boxes) are shared. `known`: the slots
 * that changed, when the registry knows them (Registry.changedSlots); else the two views are compared.
 */
export function updateLookupIndex(
  previous: LookupIndex,
  entries: readonly CacheEntry[],
  weights: RankWeights,
  defaultMaxLoad: number,
  known: readonly number[] | null = null,
): LookupIndex {
  const n = entries.length;
  const rebuild = () => {
    const next = buildLookupIndex(entries, weights, defaultMaxLoad, previous.offerVersion);
    return offersDiffer(previous, next) ? { ...next, offerVersion: next.offerVersion + 1 } : next;
  };
  if (n !== previous.entries.length) return rebuild();
  if (known && known.length > n * UPDATE_AT_MOST) return rebuild();
  const changed = known ?? changedSlotsOf(previous.entries, entries);
  if (!changed) return rebuild();
  const { x, y, z } = previous;
  for (const i of changed) {
    const unit = (entries[i] as CacheEntry).unit;
    const wasLocated = ((previous.flags[i] as number) & FLAG.LOCATED) !== 0;
    if (unit ? !wasLocated || unit[0] !== x[i] || unit[1] !== y[i] || unit[2] !== z[i] : wasLocated) return rebuild();
  }

  const flags = previous.flags.slice();
  const loadCost = previous.loadCost.slice();
  const old = previous.cells;
  let { members, memberFloor } = old;
  const touched = new Set<number>();
  let offersChanged = false;
  for (const i of changed) {
    const e = entries[i] as CacheEntry;
    flags[i] = entryFlags(e, defaultMaxLoad);
    if (offerChanged(previous, i, e, flags[i] as number)) offersChanged = true;
    loadCost[i] = entryLoadCost(e, weights, defaultMaxLoad);
    const c = old.cellOf[i] as number;
    touched.add(c);
    const step = loadStep(loadCost[i] as number);
    if (step === loadStep(previous.loadCost[i] as number)) continue;
    if (members === old.members) {
      members = old.members.slice();
      memberFloor = old.memberFloor.slice();
    }
    moveMember(members, memberFloor, old.start[c] as number, old.start[c + 1] as number, i, step);
  }
  const anyFlags = old.anyFlags.slice();
  const minLoadCost = old.minLoadCost.slice();
  for (const c of touched) {
    let any = 0;
    let min = Infinity;
    for (let m = old.start[c] as number; m < (old.start[c + 1] as number); m++) {
      const i = members[m] as number;
      any |= flags[i] as number;
      min = Math.min(min, loadCost[i] as number);
    }
    anyFlags[c] = any;
    minLoadCost[c] = min;
  }
  // Written out field by field as buildCells writes them: a spread of `old` gave every updated index's cells a
  // hidden class of its own, and every read of them in a lookup became a megamorphic one.
  const cells: LookupCells = {
    count: old.count,
    start: old.start,
    members,
    memberFloor,
    minX: old.minX,
    maxX: old.maxX,
    minY: old.minY,
    maxY: old.maxY,
    minZ: old.minZ,
    maxZ: old.maxZ,
    located: old.located,
    minLoadCost,
    anyFlags,
    cellOf: old.cellOf,
  };
  return { entries, flags, x, y, z, loadCost, cells, offerVersion: previous.offerVersion + (offersChanged ? 1 : 0) };
}

/**
 * Whether cache `i` of `previous` became `e` (flags `f`) in a way that may change who is offered: another
 * cache in its place, a flag other than DEGRADED, its location, or the server's verification outcome.
 */
function offerChanged(previous: LookupIndex, i: number, e: CacheEntry, f: number): boolean {
  const was = previous.entries[i] as CacheEntry;
  if (e === was) return false;
  if (e.id !== was.id || ((f ^ (previous.flags[i] as number)) & ~FLAG.DEGRADED) !== 0 || e.verification?.ok !== was.verification?.ok) return true;
  // DEGRADED is both overloaded (load: not a change of offer) and failing its agent's self-check (one).
  if (e.heartbeat.status !== was.heartbeat.status) return true;
  return e.unit ? e.unit[0] !== previous.x[i] || e.unit[1] !== previous.y[i] || e.unit[2] !== previous.z[i] : false; // unlocated either way: a LOCATED flip is a flag change
}

/** Whether `next` offers differently from `previous`: other caches, or one changed as offerChanged says; the order may differ (a Redis replica's view is rebuilt in the store's order). */
function offersDiffer(previous: LookupIndex, next: LookupIndex): boolean {
  const n = next.entries.length;
  if (previous.entries.length !== n) return true;
  let placeOf: Map<string, number> | null = null;
  for (let i = 0; i < n; i++) {
    const e = next.entries[i] as CacheEntry;
    let j = i;
    if ((previous.entries[i] as CacheEntry).id !== e.id) {
      placeOf ??= new Map(previous.entries.map((p, k) => [p.id, k]));
      const k = placeOf.get(e.id);
      if (k === undefined) return true;
      j = k;
    }
    if (offerChanged(previous, j, e, next.flags[i] as number)) return true;
  }
  return false;
}

/** Moves cache `i` within its cell's places [`from`, `to`) to where (load step, index) order puts it at `step`. */
function moveMember(members: Uint32Array, memberFloor: Float64Array, from: number, to: number, i: number, step: number): void {
  let p = from;
  while (members[p] !== i) p++;
  members.copyWithin(p, p + 1, to);
  memberFloor.copyWithin(p, p + 1, to);
  // Floors are step / LOAD_STEPS, exact in binary, so the step of a place is its floor times LOAD_STEPS.
  let q = from;
  while (q < to - 1) {
    const stepAt = (memberFloor[q] as number) * LOAD_STEPS;
    if (stepAt > step || (stepAt === step && (members[q] as number) > i)) break;
    q++;
  }
  members.copyWithin(q + 1, q, to - 1);
  memberFloor.copyWithin(q + 1, q, to - 1);
  members[q] = i;
  memberFloor[q] = step / LOAD_STEPS;
}

function buildCells(flags: Uint16Array, x: Float64Array, y: Float64Array, z: Float64Array, loadCost: Float64Array): LookupCells {
  const n = flags.length;
  const axis = (v: number) => Math.min(GRID - 1, Math.max(0, Math.floor(((v + 1) / 2) * GRID)));
  // Grid key per cache; GRID³ for caches without a location (they share one cell). Cells are numbered in
  // order of first appearance, only the ones that have members.
  const keyOf = new Uint16Array(n);
  const idOfKey = new Int32Array(GRID * GRID * GRID + 1).fill(-1);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const key = ((flags[i] as number) & FLAG.LOCATED) !== 0 ? (axis(x[i] as number) * GRID + axis(y[i] as number)) * GRID + axis(z[i] as number) : GRID * GRID * GRID;
    keyOf[i] = key;
    if (idOfKey[key] === -1) idOfKey[key] = count++;
  }
  const cellOf = new Uint32Array(n);
  const sizes = new Uint32Array(count);
  for (let i = 0; i < n; i++) {
    const c = idOfKey[keyOf[i] as number] as number;
    cellOf[i] = c;
    sizes[c] = (sizes[c] as number) + 1;
  }
  const cells: LookupCells = {
    count,
    start: new Uint32Array(count + 1),
    members: new Uint32Array(n),
    memberFloor: new Float64Array(n),
    minX: new Float64Array(count).fill(Infinity),
    maxX: new Float64Array(count).fill(-Infinity),
    minY: new Float64Array(count).fill(Infinity),
    maxY: new Float64Array(count).fill(-Infinity),
    minZ: new Float64Array(count).fill(Infinity),
    maxZ: new Float64Array(count).fill(-Infinity),
    located: new Uint8Array(count),
    minLoadCost: new Float64Array(count).fill(Infinity),
    anyFlags: new Uint16Array(count),
    cellOf,
  };
  for (let c = 0; c < count; c++) cells.start[c + 1] = (cells.start[c] as number) + (sizes[c] as number);
  // Counting sort on (cell, load step), index order within a step. A step's floor (step / LOAD_STEPS) is at
  // most the load cost of its members; loads over max_load (cost ≥ 1) all go in the last step.
  const stepOf = new Uint16Array(n);
  const slots = new Uint32Array(count * LOAD_STEPS + 1);
  for (let i = 0; i < n; i++) {
    const step = loadStep(loadCost[i] as number);
    stepOf[i] = step;
    const key = (cellOf[i] as number) * LOAD_STEPS + step;
    slots[key + 1] = (slots[key + 1] as number) + 1;
  }
  for (let k = 1; k < slots.length; k++) slots[k] = (slots[k] as number) + (slots[k - 1] as number);
  for (let i = 0; i < n; i++) {
    const c = cellOf[i] as number;
    const key = c * LOAD_STEPS + (stepOf[i] as number);
    const place = slots[key] as number;
    slots[key] = place + 1;
    cells.members[place] = i;
    cells.memberFloor[place] = (stepOf[i] as number) / LOAD_STEPS;
    cells.anyFlags[c] = (cells.anyFlags[c] as number) | (flags[i] as number);
    cells.minLoadCost[c] = Math.min(cells.minLoadCost[c] as number, loadCost[i] as number);
    if (keyOf[i] === GRID * GRID * GRID) continue;
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
