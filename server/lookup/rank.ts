import { EARTH_RADIUS_KM } from '../geo/sphere.js';
import { UNKNOWN_DISTANCE_KM } from '../model/location.js';

/** Constants of the ranking function (docs/api.md, Ranking): cost = w·d/(π·R) + (1 − w)·(load/max_load)^b. */
export interface RankWeights {
  /** w: weight of distance against load, 0..1. Default 0.5 as the original Shoal. */
  distanceWeight: number;
  /** b: exponent on the load fraction. Default 1. */
  loadExponent: number;
}

/** What the ranking needs to know of a candidate cache. */
export interface Rankable {
  /** Inside the caller's own site: always ahead of non-local caches. */
  local: boolean;
  /** Great-circle distance from the caller, or `null` when the caller's or the cache's location is unknown. */
  distanceKm: number | null;
  /**
   * The caller's position is known and the cache's is not (model/location.ts): it ranks after every cache
   * with a distance, and its cost charges the farthest distance there is. Absent: false.
   */
  unlocated?: boolean;
  load: number;
  /** Effective max load (> 0): the agent's, or the server default. */
  maxLoad: number;
  /** Tie-breaker so equal costs come out in a stable order. */
  hostname: string;
}

/**
 * Lower is better. An unlocated cache (for a located caller) is charged the farthest distance there is;
 * with the caller's location unknown no distance is known and only the load term counts.
 */
export function cacheCost(c: Pick<Rankable, 'distanceKm' | 'load' | 'maxLoad' | 'unlocated'>, weights: RankWeights): number {
  const loadFraction = Math.max(0, c.load) / c.maxLoad;
  const loadTerm = (1 - weights.distanceWeight) * loadFraction ** weights.loadExponent;
  const distanceKm = c.distanceKm ?? (c.unlocated === true ? UNKNOWN_DISTANCE_KM : null);
  if (distanceKm === null) return loadTerm;
  return (weights.distanceWeight * distanceKm) / (Math.PI * EARTH_RADIUS_KM) + loadTerm;
}

export interface Ranked<T> {
  item: T;
  cost: number;
}

/** Site-local first; then every cache with a known distance before those without a location (model/location.ts); then cost. */
function before<T extends Rankable>(a: Ranked<T>, b: Ranked<T>): boolean {
  if (a.item.local !== b.item.local) return a.item.local;
  const aUnlocated = a.item.unlocated === true;
  if (aUnlocated !== (b.item.unlocated === true)) return !aUnlocated;
  if (a.cost !== b.cost) return a.cost < b.cost;
  return a.item.hostname < b.item.hostname;
}

/**
 * The best `count` candidates, best first: site-local ones ahead, unlocated ones behind, then by cost. A bounded insertion
 * keeps it O(n·count) with no full sort, since count is small (≤ 100) and n can be thousands.
 */
export function rankCaches<T extends Rankable>(candidates: Iterable<T>, count: number, weights: RankWeights): Ranked<T>[] {
  const top: Ranked<T>[] = [];
  if (count <= 0) return top;
  for (const item of candidates) {
    const entry = { item, cost: cacheCost(item, weights) };
    if (top.length === count && !before(entry, top[top.length - 1] as Ranked<T>)) continue;
    // Insertion by hand: `splice` is a builtin call per candidate, dearer than moving a few slots.
    let i = top.length;
    top.push(entry);
    while (i > 0 && before(entry, top[i - 1] as Ranked<T>)) {
      top[i] = top[i - 1] as Ranked<T>;
      i--;
    }
    top[i] = entry;
    if (top.length > count) top.pop();
  }
  return top;
}

/**
 * The `count`-th lowest cost offered so far. A non-local candidate whose cost is above it cannot make
 * the top `count` (at least `count` candidates come before it), so a lookup can skip it before building
 * anything for it. Local candidates must never be skipped this way: they rank ahead of any cost; nor may
 * located candidates be measured against unlocated ones' costs: they rank ahead of those too.
 */
export interface CostCutoff {
  offer(cost: number): void;
  /** Infinity until `count` costs were offered. */
  value(): number;
}

export function createCostCutoff(count: number): CostCutoff {
  const best: number[] = [];
  return {
    offer(cost) {
      if (count <= 0) return;
      if (best.length === count && cost >= (best[count - 1] as number)) return;
      let i = best.length;
      best.push(cost);
      while (i > 0 && (best[i - 1] as number) > cost) {
        best[i] = best[i - 1] as number;
        i--;
      }
      best[i] = cost;
      if (best.length > count) best.pop();
    },
    value: () => (count <= 0 ? -Infinity : best.length < count ? Infinity : (best[count - 1] as number)),
  };
}
