import { toUnitVector, unitDistanceKm, type UnitVector } from '../geo/sphere.js';
import type { CacheType } from '../../shared/heartbeat.js';
import type { ProxyHost } from '../../shared/identity.js';
import { cacheCost, createCostCutoff, rankCaches, type RankWeights } from './rank.js';
import type { GeoIp, GeoRecord } from '../geo/geoip.js';
import { createLocality, type Locality, type SiteIndex } from '../geo/sites.js';
import { buildLookupIndex, distanceToCell, FLAG, requiredFlags, updateLookupIndex, type LookupIndex } from './cell-index.js';
import type { Registry } from '../registry/types.js';
import { addressForCaller, effectiveMaxLoad, isDegraded, isLeaving, isVerified, servesUpstream, verificationAllows, type CacheEntry } from '../model/cache.js';

/** How the caller's position was found: `lat`/`lon` given, its site's caches, GeoIP on its address, or not at all. */
export type LocatedBy = 'geoip' | 'query' | 'site' | 'unknown';

export interface Caller {
  ip: string | null;
  locatedBy: LocatedBy;
  latitude: number | null;
  longitude: number | null;
  geo: GeoRecord | null;
  /** Sites whose networks hold the caller's address (declared by agents or in the coverage file). */
  sites: readonly string[];
}

export interface LookupQuery {
  caller: Caller;
  count: number;
  upstream: 'cvmfs' | 'frontier' | 'any';
  type: CacheType | 'any';
  /** Only caches the agent reports verified (the original `/nearestverified`). */
  verifiedOnly: boolean;
}

export interface RankedCache {
  entry: CacheEntry;
  distanceKm: number | null;
  /** The ranking cost (lower is better). */
  score: number;
  local: boolean;
  maxLoad: number;
  /** The address this caller should use: the private one for a `private` cache of its own site, else the hostname. */
  host: ProxyHost;
  site: string | null;
  /** Offered although overloaded or failing, because nothing else was left. */
  degraded: boolean;
}

export interface LookupResult {
  caller: Caller;
  caches: RankedCache[];
  /** Set when the answer had to relax a rule (e.g. every cache overloaded). */
  note: string | null;
}

export interface LookupService {
  locate(ip: string | null, coordinates?: { latitude: number; longitude: number }): Caller;
  nearest(query: LookupQuery): LookupResult;
}

export interface LookupOptions {
  weights: RankWeights;
  /** Max load (kB/s) for caches whose agent sent none or a non-positive one. */
  defaultMaxLoad: number;
}

interface Candidate {
  entry: CacheEntry;
  local: boolean;
  distanceKm: number | null;
  load: number;
  maxLoad: number;
  hostname: string;
  host: ProxyHost;
  site: string | null;
  degraded: boolean;
}

export interface LookupDeps {
  registry: Registry;
  geoip: GeoIp;
  options: LookupOptions;
  /** Site networks (agents' declarations plus the operator's coverage file); default: declarations only. */
  locality?: Locality;
  /** Caches an operator is draining: never offered. */
  isDrained?: (id: string) => boolean;
}

export function createLookupService(deps: LookupDeps): LookupService {
  const { registry, geoip, options } = deps;
  const locality = deps.locality ?? createLocality({});
  const isDrained = deps.isDrained ?? (() => false);

  const servesQuery = (e: CacheEntry, upstream: LookupQuery['upstream']) => upstream === 'any' || servesUpstream(e.heartbeat, upstream);

  /** The lookup's rules for one cache: the candidate it makes for this query, or null when it is not offered. */
  const consider = (e: CacheEntry, query: LookupQuery, unit: UnitVector | null, sites: SiteIndex, relaxed: boolean): Candidate | null => {
    const callerSites = query.caller.sites;
    const hb = e.heartbeat;
    if (isLeaving(hb)) return null;
    if (isDrained(e.id)) return null;
    if (query.verifiedOnly && !isVerified(e)) return null;
    if (!servesQuery(e, query.upstream)) return null;
    if (query.type !== 'any' && hb.cacheType !== query.type) return null;
    const site = callerSites.length > 0 || hb.access !== 'global' ? sites.siteOfCache(e) : null;
    const local = site !== null && callerSites.includes(site);
    if (hb.access !== 'global' && !local) return null;
    // A cache the server could not verify stays on offer inside its own site only.
    if (!verificationAllows(e, local)) return null;
    const maxLoad = effectiveMaxLoad(hb, options.defaultMaxLoad);
    const degraded = isDegraded(hb, options.defaultMaxLoad);
    if (degraded && !relaxed) return null;
    return {
      entry: e,
      local,
      distanceKm: unit && e.unit ? unitDistanceKm(unit, e.unit) : null,
      load: hb.load,
      maxLoad,
      hostname: hb.hostname,
      host: addressForCaller(hb, local),
      site,
      degraded,
    };
  };

  // One index per registry view (the registry hands out the same array until something changes), each
  // made from the one before when only some caches changed (see updateLookupIndex).
  const indexes = new WeakMap<readonly CacheEntry[], LookupIndex>();
  let latest: LookupIndex | null = null;
  const indexOf = (view: readonly CacheEntry[]) => {
    let index = indexes.get(view);
    if (!index) {
      index = latest ? updateLookupIndex(latest, view, options.weights, options.defaultMaxLoad) : buildLookupIndex(view, options.weights, options.defaultMaxLoad);
      indexes.set(view, index);
      latest = index;
    }
    return index;
  };

  // Per-cell working arrays, reused by every lookup (a lookup runs to the end before the next starts). A
  // typed array of this size lives outside the JS heap: one per lookup meant a malloc, a free and the
  // collector's bookkeeping of both on every request.
  let scratch = { bounds: new Float64Array(0), distancePart: new Float64Array(0) };
  const cellScratch = (count: number) => {
    if (scratch.bounds.length < count) scratch = { bounds: new Float64Array(count), distancePart: new Float64Array(count) };
    return scratch;
  };

  const candidatesFor = (query: LookupQuery, unit: UnitVector | null, sites: SiteIndex, relaxed: boolean): Candidate[] => {
    const out: Candidate[] = [];
    const view = registry.snapshot();
    if (query.caller.sites.length > 0) {
      // A caller inside a site: any cache may be local to it and rank ahead of every cost, so no skipping.
      for (const e of view) {
        const c = consider(e, query, unit, sites, relaxed);
        if (c) out.push(c);
      }
      return out;
    }
    // Outside every site no cache is local, so a cache whose cost's lower bound (load part, plus w·chord/π
    // since an arc is at least its chord) is above the count-th best cost so far cannot make the answer:
    // it is skipped from flat typed arrays before anything is read or allocated for it. At 10,000 caches
    // chasing three objects per cache was the cost of a lookup (see "Benchmarks" in README).
    const index = indexOf(view);
    const { entries, flags, x, y, z, loadCost } = index;
    const need = requiredFlags(query);
    const cutoff = createCostCutoff(query.count);
    const shrink = 1 - 1e-9; // float rounding must never skip a winner
    const chordWeight = (options.weights.distanceWeight / Math.PI) * shrink;
    /** Index `i` through the bounds and the rules; a candidate that can still make the answer is kept. */
    const visit = (i: number): Candidate | null => {
      const f = flags[i] as number;
      if ((f & need) !== need || (!relaxed && (f & FLAG.DEGRADED) !== 0)) return null;
      const limit = cutoff.value();
      let bound = (loadCost[i] as number) * shrink;
      if (bound > limit) return null;
      if (unit && (f & FLAG.LOCATED) !== 0) {
        const dx = unit[0] - (x[i] as number);
        const dy = unit[1] - (y[i] as number);
        const dz = unit[2] - (z[i] as number);
        bound += chordWeight * Math.sqrt(dx * dx + dy * dy + dz * dz);
        if (bound > limit) return null;
      }
      const c = consider(entries[i] as CacheEntry, query, unit, sites, relaxed);
      if (!c) return null;
      const cost = cacheCost(c, options.weights);
      if (cost > cutoff.value()) return null;
      cutoff.offer(cost);
      return c;
    };
    if (!unit) {
      for (let i = 0; i < entries.length; i++) {
        const c = visit(i);
        if (c) out.push(c);
      }
      return out;
    }
    // A located caller: cells in order of their lower bound (lowest load cost of a member plus the distance
    // to the cell's box), until the next cell's bound is above the count-th best cost so far. Which caches
    // make the answer does not depend on the order they are visited in; the candidates are handed to the
    // ranking in index order, as the full scan does, so equal costs break ties as before.
    const { cells } = index;
    const { bounds, distancePart } = cellScratch(cells.count);
    for (let c = 0; c < cells.count; c++) {
      if (((cells.anyFlags[c] as number) & need) !== need) bounds[c] = Infinity;
      else {
        distancePart[c] = cells.located[c] === 1 ? chordWeight * distanceToCell(cells, c, unit[0], unit[1], unit[2]) : 0;
        bounds[c] = (cells.minLoadCost[c] as number) * shrink + (distancePart[c] as number);
      }
    }
    const found: { i: number; c: Candidate }[] = [];
    for (;;) {
      let best = -1;
      let bestBound = Infinity;
      for (let c = 0; c < cells.count; c++) {
        if ((bounds[c] as number) < bestBound) {
          bestBound = bounds[c] as number;
          best = c;
        }
      }
      if (best === -1 || bestBound > cutoff.value()) break;
      bounds[best] = Infinity;
      const near = distancePart[best] as number;
      for (let m = cells.start[best] as number; m < (cells.start[best + 1] as number); m++) {
        const i = cells.members[m] as number;
        // Members come in rising load-cost steps: once a step's floor is out of reach, so is the rest of the cell.
        if ((cells.memberFloor[m] as number) * shrink + near > cutoff.value()) break;
        const c = visit(i);
        if (c) found.push({ i, c });
      }
    }
    found.sort((a, b) => a.i - b.i);
    for (const f of found) out.push(f.c);
    return out;
  };

  return {
    locate(ip, coordinates) {
      const index = locality.index(registry.snapshot());
      const sites = index.sitesOf(ip);
      const geo = ip ? geoip.lookup(ip) : null;
      if (coordinates) return { ip, locatedBy: 'query', latitude: coordinates.latitude, longitude: coordinates.longitude, geo, sites };
      for (const site of sites) {
        const p = index.positionOf(site);
        if (p) return { ip, locatedBy: 'site', latitude: p.latitude, longitude: p.longitude, geo: geo ?? p, sites };
      }
      if (geo) return { ip, locatedBy: 'geoip', latitude: geo.latitude, longitude: geo.longitude, geo, sites };
      return { ip, locatedBy: 'unknown', latitude: null, longitude: null, geo: null, sites };
    },
    nearest(query) {
      const { caller } = query;
      const unit = caller.latitude !== null && caller.longitude !== null ? toUnitVector({ latitude: caller.latitude, longitude: caller.longitude }) : null;
      const notes: string[] = [];
      if (!unit) notes.push('caller location unknown: site-local caches first, then caches ranked by load only');
      const sites = locality.index(registry.snapshot());
      let candidates = candidatesFor(query, unit, sites, false);
      if (candidates.length === 0) {
        candidates = candidatesFor(query, unit, sites, true);
        if (candidates.length > 0) notes.push('every matching cache is overloaded or failing; offering them anyway');
      }
      const ranked = rankCaches(candidates, query.count, options.weights);
      return {
        caller,
        note: notes.length > 0 ? notes.join('; ') : null,
        caches: ranked.map(({ item, cost }) => ({
          entry: item.entry,
          distanceKm: item.distanceKm,
          score: cost,
          local: item.local,
          maxLoad: item.maxLoad,
          host: item.host,
          site: item.site,
          degraded: item.degraded,
        })),
      };
    },
  };
}
