import { toUnitVector, unitDistanceKm, type UnitVector } from '../geo/sphere.js';
import type { CacheType } from '../../shared/heartbeat.js';
import type { IpLiteral, ProxyHost } from '../../shared/identity.js';
import { cacheCost, createCostCutoff, rankCaches, type CostCutoff, type RankWeights } from './rank.js';
import type { GeoIp, GeoRecord } from '../geo/geoip.js';
import type { WatchedGeoIp } from '../geo/geoip-watch.js';
import { createPlacements } from './placements.js';
import { createLocality, type Locality, type SiteIndex } from '../geo/sites.js';
import { buildLookupIndex, distanceToCell, FLAG, requiredFlags, updateLookupIndex, type LookupIndex } from './cell-index.js';
import type { ChangedSlots, Registry } from '../registry/types.js';
import { addressForCaller, behindSameNat, effectiveMaxLoad, isDegraded, isLeaving, isVerified, servesUpstream, verificationAllows, type Advertise, type CacheEntry } from '../model/cache.js';
import { distanceUnknownFor } from '../model/location.js';
import { noneOfferedNote, unlocatedNote, type Refusal } from './unoffered.js';

/** How the caller's position was found: `lat`/`lon` given, its site's caches, GeoIP on its address, or not at all. */
export type LocatedBy = 'geoip' | 'query' | 'site' | 'unknown';

export interface Caller {
  ip: string | null;
  locatedBy: LocatedBy;
  latitude: number | null;
  longitude: number | null;
  geo: GeoRecord | null;
  /** Sites whose networks hold the caller's address (declared by agents or in the coverage file), or whose caches it shares a NAT with. */
  sites: readonly string[];
  /** The caches' external (NAT) address the caller's address is, as they spell it: it is behind that NAT. Absent: null. */
  nat?: IpLiteral | null;
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
  /** The address this caller should use (model/cache.ts addressForCaller): the private one for a `private` cache of its own site or one behind its NAT, else what `--advertise` hands out. */
  host: ProxyHost;
  site: string | null;
  /** Offered although overloaded or failing, because nothing else was left. */
  degraded: boolean;
}

export interface LookupResult {
  caller: Caller;
  caches: RankedCache[];
  /** Set when the answer had to relax a rule (e.g. every cache overloaded), holds unlocated caches, or offers none of the caches listed (and why). */
  note: string | null;
}

export interface LookupService {
  locate(ip: string | null, coordinates?: { latitude: number; longitude: number }): Caller;
  nearest(query: LookupQuery): LookupResult;
  /** The answers to several queries of one caller (same `caller` object), in one walk of the index; each equals `nearest` of it. */
  nearestEach(queries: readonly LookupQuery[]): LookupResult[];
  /**
   * Changes whenever something other than load may change an answer: a cache joined, left, moved or said
   * goodbye, its verification, access, site or name changed, or a drain did. Answers cached under one epoch
   * may be served while it lasts (answer-cache.ts).
   */
  answersEpoch(): number;
}

export interface LookupOptions {
  weights: RankWeights;
  /** Max load (kB/s) for caches whose agent sent none or a non-positive one. */
  defaultMaxLoad: number;
  /** What a caller outside the cache's site is given (`--advertise`, model/cache.ts advertisedHost); default: the hostname. */
  advertise?: Advertise;
}

interface Candidate {
  entry: CacheEntry;
  local: boolean;
  distanceKm: number | null;
  unlocated: boolean;
  load: number;
  maxLoad: number;
  hostname: string;
  host: ProxyHost;
  site: string | null;
  degraded: boolean;
}

/** One query's share of a walk of the index (candidatesFor). */
interface Lane {
  query: LookupQuery;
  need: number;
  cutoff: CostCutoff;
  found: { i: number; c: Candidate }[];
}

export interface LookupDeps {
  registry: Registry;
  /** A watched database's reloads drop the callers placed with the one before. */
  geoip: GeoIp | WatchedGeoIp;
  options: LookupOptions;
  /** Site networks (agents' declarations plus the operator's coverage file); default: declarations only. */
  locality?: Locality;
  /** Caches an operator is draining: never offered. */
  isDrained?: (id: string) => boolean;
  /** Changes whenever the drained set does (DrainList.version); default: never. */
  drainsVersion?: () => number;
}

export function createLookupService(deps: LookupDeps): LookupService {
  const { registry, geoip, options } = deps;
  const locality = deps.locality ?? createLocality({});
  const isDrained = deps.isDrained ?? (() => false);
  const drainsVersion = deps.drainsVersion ?? (() => 0);
  // Where a new view differs from one seen before, when the registry knows: the indexes then update in O(changed).
  const changedSlots: ChangedSlots = (older, newer) => registry.changedSlots?.(older, newer) ?? null;

  const servesQuery = (e: CacheEntry, upstream: LookupQuery['upstream']) => upstream === 'any' || servesUpstream(e.heartbeat, upstream);

  // The lookup's rules for one cache, in two parts around working out its site (dearer than these checks).
  // `consider` applies them; an answer that offers nothing asks them why (`noneOffered`).
  /** The rules that do not depend on where the caller is: the first that leaves the cache out, or null. */
  const queryRefusal = (e: CacheEntry, query: LookupQuery): Refusal | null => {
    const hb = e.heartbeat;
    if (isLeaving(hb)) return 'leaving';
    if (isDrained(e.id)) return 'draining';
    if (query.verifiedOnly && !isVerified(e)) return 'not-verified';
    if (!servesQuery(e, query.upstream)) return 'upstream';
    if (query.type !== 'any' && hb.cacheType !== query.type) return 'type';
    return null;
  };
  /** The rules that weigh whether the caller is in the cache's site. */
  const siteRefusal = (e: CacheEntry, local: boolean): Refusal | null => {
    const access = e.heartbeat.access;
    if (access !== 'global' && !local) return access;
    // A cache the server could not verify stays on offer inside its own site only.
    if (!verificationAllows(e, local)) return 'verification';
    return null;
  };
  const siteFor = (e: CacheEntry, query: LookupQuery, sites: SiteIndex) =>
    query.caller.sites.length > 0 || e.heartbeat.access !== 'global' ? sites.siteOfCache(e) : null;

  /** The lookup's rules for one cache: the candidate it makes for this query, or null when it is not offered. */
  const consider = (e: CacheEntry, query: LookupQuery, unit: UnitVector | null, sites: SiteIndex, relaxed: boolean): Candidate | null => {
    const hb = e.heartbeat;
    if (queryRefusal(e, query) !== null) return null;
    const site = siteFor(e, query, sites);
    const local = site !== null && query.caller.sites.includes(site);
    if (siteRefusal(e, local) !== null) return null;
    const maxLoad = effectiveMaxLoad(hb, options.defaultMaxLoad);
    const degraded = isDegraded(hb, options.defaultMaxLoad);
    if (degraded && !relaxed) return null;
    return {
      entry: e,
      local,
      distanceKm: unit && e.unit ? unitDistanceKm(unit, e.unit) : null,
      unlocated: distanceUnknownFor(unit !== null, e),
      load: hb.load,
      maxLoad,
      hostname: hb.hostname,
      host: addressForCaller(hb, local, local && behindSameNat(hb, query.caller.nat), options.advertise),
      site,
      degraded,
    };
  };

  /** Why none of a view's caches is offered, by reason (overloaded and failing ones would be: see the relaxed pass). */
  const noneOffered = (view: readonly CacheEntry[], query: LookupQuery, sites: SiteIndex): Map<Refusal, number> => {
    const reasons = new Map<Refusal, number>();
    for (const e of view) {
      let reason = queryRefusal(e, query);
      if (reason === null) {
        const site = siteFor(e, query, sites);
        reason = siteRefusal(e, site !== null && query.caller.sites.includes(site));
      }
      if (reason !== null) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    return reasons;
  };

  // One index per registry view (the registry hands out the same array until something changes), each
  // made from the one before when only some caches changed (see updateLookupIndex).
  const indexes = new WeakMap<readonly CacheEntry[], LookupIndex>();
  let latest: LookupIndex | null = null;
  // What the answers epoch was last computed from (a site index is kept while its site data is the same).
  let epoch = 0;
  const epochOf: { offers: number; sites: SiteIndex | null; drains: number } = { offers: -1, sites: null, drains: -1 };
  const indexOf = (view: readonly CacheEntry[]) => {
    let index = indexes.get(view);
    if (!index) {
      index = latest ? updateLookupIndex(latest, view, options.weights, options.defaultMaxLoad, changedSlots(latest.entries, view)) : buildLookupIndex(view, options.weights, options.defaultMaxLoad);
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

  /**
   * The candidates of each query, for queries that share a caller (the CVMFS and Frontier lists of a PAC
   * file): one walk of the index serves them all, each with its own cutoff, since a cache's bounds do not
   * depend on the upstream asked for. A cache's candidate for a query is that query's rules alone.
   */
  const candidatesFor = (queries: readonly LookupQuery[], unit: UnitVector | null, sites: SiteIndex, relaxed: boolean): Candidate[][] => {
    const view = registry.snapshot();
    if ((queries[0] as LookupQuery).caller.sites.length > 0) {
      // A caller inside a site: any cache may be local to it and rank ahead of every cost, so no skipping.
      return queries.map((query) => {
        const out: Candidate[] = [];
        for (const e of view) {
          const c = consider(e, query, unit, sites, relaxed);
          if (c) out.push(c);
        }
        return out;
      });
    }
    // Outside every site no cache is local, so a cache whose cost's lower bound (load part, plus w·chord/π
    // since an arc is at least its chord) is above the count-th best cost so far cannot make the answer:
    // it is skipped from flat typed arrays before anything is read or allocated for it. At 10,000 caches
    // chasing three objects per cache was the cost of a lookup (see docs/benchmarks.md).
    const index = indexOf(view);
    const { entries, flags, x, y, z, loadCost } = index;
    // Each lane's cutoff is replaced, for the caches without a location, by one of their own (see below).
    const lanes: Lane[] = queries.map((query) => ({ query, need: requiredFlags(query), cutoff: createCostCutoff(query.count), found: [] }));
    const shrink = 1 - 1e-9; // float rounding must never skip a winner
    const chordWeight = (options.weights.distanceWeight / Math.PI) * shrink;
    // What a located caller's cost charges a cache with no location: the farthest distance, w (model/location.ts).
    const unlocatedCharge = options.weights.distanceWeight * shrink;
    /** The highest cutoff of the lanes: what no lane can use any more is out of reach of all. */
    const reach = () => {
      let most = -Infinity;
      for (const lane of lanes) most = Math.max(most, lane.cutoff.value());
      return most;
    };
    /** Index `i` through the bounds and one lane's rules; a candidate that can still make its answer is kept. */
    const visit = (lane: Lane, i: number): void => {
      const f = flags[i] as number;
      if ((f & lane.need) !== lane.need || (!relaxed && (f & FLAG.DEGRADED) !== 0)) return;
      const limit = lane.cutoff.value();
      let bound = (loadCost[i] as number) * shrink;
      if (bound > limit) return;
      if (unit) {
        if ((f & FLAG.LOCATED) !== 0) {
          const dx = unit[0] - (x[i] as number);
          const dy = unit[1] - (y[i] as number);
          const dz = unit[2] - (z[i] as number);
          bound += chordWeight * Math.sqrt(dx * dx + dy * dy + dz * dz);
        } else bound += unlocatedCharge;
        if (bound > limit) return;
      }
      const c = consider(entries[i] as CacheEntry, lane.query, unit, sites, relaxed);
      if (!c) return;
      const cost = cacheCost(c, options.weights);
      if (cost > lane.cutoff.value()) return;
      lane.cutoff.offer(cost);
      lane.found.push({ i, c });
    };
    if (!unit) {
      for (const lane of lanes) for (let i = 0; i < entries.length; i++) visit(lane, i);
      return lanes.map((lane) => lane.found.map((f) => f.c));
    }
    // A located caller: cells in order of their lower bound (lowest load cost of a member plus the distance
    // to the cell's box), until the next cell's bound is above every lane's count-th best cost so far. Which
    // caches make an answer does not depend on the order they are visited in; the candidates are handed to
    // the ranking in index order, as the full scan does, so equal costs break ties as before.
    const { cells } = index;
    const { bounds, distancePart } = cellScratch(cells.count);
    let anyNeed = -1; // the flags every lane needs (AND): a cell without them serves no lane
    for (const lane of lanes) anyNeed &= lane.need;
    // Caches with no location rank after every located one: their cell is left out of the walk, and read
    // after it only for the places the located caches leave.
    let unlocatedCell = -1;
    for (let c = 0; c < cells.count; c++) {
      if (((cells.anyFlags[c] as number) & anyNeed) !== anyNeed) bounds[c] = Infinity;
      else if (cells.located[c] === 0) {
        unlocatedCell = c;
        bounds[c] = Infinity;
      } else {
        distancePart[c] = cells.located[c] === 1 ? chordWeight * distanceToCell(cells, c, unit[0], unit[1], unit[2]) : 0;
        bounds[c] = (cells.minLoadCost[c] as number) * shrink + (distancePart[c] as number);
      }
    }
    for (;;) {
      let best = -1;
      let bestBound = Infinity;
      for (let c = 0; c < cells.count; c++) {
        if ((bounds[c] as number) < bestBound) {
          bestBound = bounds[c] as number;
          best = c;
        }
      }
      if (best === -1 || bestBound > reach()) break;
      bounds[best] = Infinity;
      const near = distancePart[best] as number;
      for (let m = cells.start[best] as number; m < (cells.start[best + 1] as number); m++) {
        // Members come in rising load-cost steps: once a step's floor is out of reach, so is the rest of the cell.
        if ((cells.memberFloor[m] as number) * shrink + near > reach()) break;
        const i = cells.members[m] as number;
        for (const lane of lanes) visit(lane, i);
      }
    }
    for (const lane of lanes) {
      if (unlocatedCell === -1 || lane.found.length >= lane.query.count) continue;
      // Fewer located candidates than places: the cutoff never filled, so none was skipped and all are in
      // `found`. The unlocated ones compete among themselves for the places left, in rising load cost.
      lane.cutoff = createCostCutoff(lane.query.count - lane.found.length);
      for (let m = cells.start[unlocatedCell] as number; m < (cells.start[unlocatedCell + 1] as number); m++) {
        if ((cells.memberFloor[m] as number) * shrink + unlocatedCharge > lane.cutoff.value()) break;
        visit(lane, cells.members[m] as number);
      }
    }
    return lanes.map((lane) => lane.found.sort((a, b) => a.i - b.i).map((f) => f.c));
  };

  /** One query's answer from its candidates: the relaxed pass when nothing was left, the ranking, the notes. */
  const answer = (query: LookupQuery, strict: Candidate[], unit: UnitVector | null, view: readonly CacheEntry[], sites: SiteIndex): LookupResult => {
    const notes: string[] = [];
    if (!unit) notes.push('caller location unknown: site-local caches first, then caches ranked by load only');
    let candidates = strict;
    if (candidates.length === 0) {
      candidates = candidatesFor([query], unit, sites, true)[0] as Candidate[];
      if (candidates.length > 0) notes.push('every matching cache is overloaded or failing; offering them anyway');
      else if (view.length > 0) notes.push(noneOfferedNote(view.length, noneOffered(view, query, sites), query));
    }
    const ranked = rankCaches(candidates, query.count, options.weights);
    let unlocated = 0;
    for (const r of ranked) if (r.item.unlocated) unlocated++;
    if (unlocated > 0) notes.push(unlocatedNote(unlocated));
    return {
      caller: query.caller,
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
  };

  const nearestEach = (queries: readonly LookupQuery[]): LookupResult[] => {
    if (queries.length === 0) return [];
    const { caller } = queries[0] as LookupQuery;
    if (queries.some((q) => q.caller !== caller)) throw new Error('nearestEach: every query must have the same caller');
    const unit = caller.latitude !== null && caller.longitude !== null ? toUnitVector({ latitude: caller.latitude, longitude: caller.longitude }) : null;
    const view = registry.snapshot();
    const sites = locality.index(view, changedSlots);
    const strict = candidatesFor(queries, unit, sites, false);
    return queries.map((query, q) => answer(query, strict[q] as Candidate[], unit, view, sites));
  };

  /** Where a caller is: its sites (networks, NAT), then the position asked for, its site's, or GeoIP's. */
  const place = (index: SiteIndex, ip: string | null, coordinates?: { latitude: number; longitude: number }): Caller => {
    const sites = index.sitesOf(ip);
    // Behind the NAT of some caches (its address is their external_ip): at their sites, and given their private addresses.
    const nat = sites.length > 0 ? index.natOf(ip) : null;
    const geo = ip ? geoip.lookup(ip) : null;
    if (coordinates) return { ip, locatedBy: 'query', latitude: coordinates.latitude, longitude: coordinates.longitude, geo, sites, nat };
    for (const site of sites) {
      const p = index.positionOf(site);
      if (p) return { ip, locatedBy: 'site', latitude: p.latitude, longitude: p.longitude, geo: geo ?? p, sites, nat };
    }
    if (geo) return { ip, locatedBy: 'geoip', latitude: geo.latitude, longitude: geo.longitude, geo, sites, nat };
    return { ip, locatedBy: 'unknown', latitude: null, longitude: null, geo: null, sites, nat };
  };
  const placements = createPlacements();
  if ('onReload' in geoip) geoip.onReload(() => placements.clear());

  return {
    locate(ip, coordinates) {
      const index = locality.index(registry.snapshot(), changedSlots);
      if (coordinates || !ip) return place(index, ip, coordinates);
      return placements.get(index, ip) ?? placements.keep(index, ip, place(index, ip));
    },
    nearest: (query) => nearestEach([query])[0] as LookupResult,
    nearestEach,
    answersEpoch() {
      // Asked on every lookup the answer cache serves: compared field by field, nothing allocated.
      const view = registry.snapshot();
      const offers = indexOf(view).offerVersion;
      const sites = locality.index(view, changedSlots);
      const drains = drainsVersion();
      if (offers !== epochOf.offers || sites !== epochOf.sites || drains !== epochOf.drains) {
        epochOf.offers = offers;
        epochOf.sites = sites;
        epochOf.drains = drains;
        epoch++;
      }
      return epoch;
    },
  };
}
