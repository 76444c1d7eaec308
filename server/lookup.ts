import { toUnitVector, unitDistanceKm, type UnitVector } from '../shared/geo.js';
import type { CacheType } from '../shared/heartbeat.js';
import { rankCaches, type RankWeights } from '../shared/rank.js';
import type { GeoIp, GeoRecord } from './geoip.js';
import type { CacheEntry, Registry } from './registry/types.js';

/** How the caller's position was found: from GeoIP on its address, from `lat`/`lon`, or not at all. */
export type LocatedBy = 'geoip' | 'query' | 'site' | 'unknown';

export interface Caller {
  ip: string | null;
  locatedBy: LocatedBy;
  latitude: number | null;
  longitude: number | null;
  geo: GeoRecord | null;
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
}

export function createLookupService(deps: { registry: Registry; geoip: GeoIp; options: LookupOptions }): LookupService {
  const { registry, geoip, options } = deps;

  const servesUpstream = (e: CacheEntry, upstream: LookupQuery['upstream']) =>
    upstream === 'any' || e.heartbeat.upstream === 'both' || e.heartbeat.upstream === upstream;

  const candidatesFor = (query: LookupQuery, unit: UnitVector | null, allowOverloaded: boolean): Candidate[] => {
    const out: Candidate[] = [];
    for (const e of registry.snapshot()) {
      const hb = e.heartbeat;
      if (hb.status !== 'ok') continue;
      if (e.verification && !e.verification.ok) continue;
      if (query.verifiedOnly && !hb.verified) continue;
      if (!servesUpstream(e, query.upstream)) continue;
      if (query.type !== 'any' && hb.cacheType !== query.type) continue;
      const maxLoad = hb.maxLoad ?? options.defaultMaxLoad;
      if (!allowOverloaded && hb.load >= maxLoad) continue;
      out.push({
        entry: e,
        local: false,
        distanceKm: unit && e.unit ? unitDistanceKm(unit, e.unit) : null,
        load: hb.load,
        maxLoad,
        hostname: hb.hostname,
      });
    }
    return out;
  };

  return {
    locate(ip, coordinates) {
      if (coordinates) {
        return { ip, locatedBy: 'query', latitude: coordinates.latitude, longitude: coordinates.longitude, geo: ip ? geoip.lookup(ip) : null };
      }
      const geo = ip ? geoip.lookup(ip) : null;
      if (!geo) return { ip, locatedBy: 'unknown', latitude: null, longitude: null, geo: null };
      return { ip, locatedBy: 'geoip', latitude: geo.latitude, longitude: geo.longitude, geo };
    },
    nearest(query) {
      const { caller } = query;
      const unit = caller.latitude !== null && caller.longitude !== null ? toUnitVector({ latitude: caller.latitude, longitude: caller.longitude }) : null;
      let note: string | null = unit ? null : 'caller location unknown: caches ranked by load only';
      let candidates = candidatesFor(query, unit, false);
      if (candidates.length === 0) {
        const overloaded = candidatesFor(query, unit, true);
        if (overloaded.length > 0) {
          candidates = overloaded;
          note = 'every matching cache is at or over its max load; offering them anyway';
        }
      }
      const ranked = rankCaches(candidates, query.count, options.weights);
      return {
        caller,
        note,
        caches: ranked.map(({ item, cost }) => ({
          entry: item.entry,
          distanceKm: item.distanceKm,
          score: cost,
          local: item.local,
          maxLoad: item.maxLoad,
        })),
      };
    },
  };
}
