/**
 * The JSON API's answers (snake_case, as the original's fields), ASCII only (ascii-json.ts). Used by
 * `/api/v1/nearest` (`format=json`, the default), `/api/v1/caches` and the admin routes' cache views;
 * a ranked cache's fixed part is serialised once per entry by view-cache.ts.
 */

import { proxyUrl } from '../../shared/proxy-string.js';
import type { Caller, LookupResult, RankedCache } from '../lookup/nearest.js';
import { cacheSource, clockDriftS, hasClockDrift, type CacheEntry } from '../model/cache.js';
import { adminVerificationView, publicVerificationView } from '../verification/outcome.js';
import { asciiJson } from './ascii-json.js';
import type { ViewCache } from './view-cache.js';

export function locationView(entry: CacheEntry) {
  const l = entry.location;
  if (!l) return null;
  return {
    latitude: l.latitude,
    longitude: l.longitude,
    city: l.city,
    region_code: l.regionCode,
    country_code: l.countryCode,
    country_name: l.countryName,
    continent: l.continent,
    source: l.source,
  };
}

/** Whole seconds since the cache's last heartbeat, as every view writes it (never negative: clocks differ). */
export const heartbeatAgeS = (entry: CacheEntry, nowMs: number): number => Math.max(0, Math.round((nowMs - entry.lastActiveMs) / 1000));

export function cacheView(entry: CacheEntry, nowMs: number) {
  const hb = entry.heartbeat;
  return {
    id: entry.id,
    hostname: hb.hostname,
    port: hb.cachePort,
    proxy: proxyUrl(hb.hostname, hb.cachePort),
    cache_type: hb.cacheType,
    upstream: hb.upstream,
    load: hb.load,
    max_load: hb.maxLoad,
    /** Squid's figures, as its agent read them from the cache manager; null when it sends none. */
    request_rate: hb.requestRate ?? null,
    client_count: hb.clientCount ?? null,
    verified: hb.verified,
    status: hb.status,
    status_reason: hb.statusReason ?? null,
    // Pass/fail and a coarse class only: the detail would tell anyone who can publish what answers where (outcome.ts).
    verification: publicVerificationView(entry.verification),
    site: hb.site ?? null,
    access: hb.access,
    /** Key id that signed the last heartbeat; null: unsigned (signature mode off or permissive). */
    signed_by: entry.signedBy ?? null,
    /** `agent`: listed by its heartbeats; `feed`: by the operator feed (--feed), while it lists it. */
    source: cacheSource(entry),
    public_ip: hb.publicIp ?? null,
    private_ip: hb.privateIp ?? null,
    external_ip: hb.externalIp ?? null,
    location: locationView(entry),
    created: new Date(entry.createdMs).toISOString(),
    last_heartbeat: new Date(entry.lastActiveMs).toISOString(),
    last_heartbeat_age_s: heartbeatAgeS(entry, nowMs),
    /** Server clock at receipt minus the last heartbeat's timestamp (s); `clock_drift`: over 10 s either way, as the original flagged. */
    clock_drift_s: Math.round(clockDriftS(entry) * 10) / 10,
    clock_drift: hasClockDrift(entry),
  };
}

/** A cache as the admin routes show it: what every caller sees, and what the server's check saw. */
export function adminCacheView(entry: CacheEntry, nowMs: number) {
  return { ...cacheView(entry, nowMs), verification: adminVerificationView(entry.verification) };
}

/** The fields of a ranked cache that change from one lookup to the next (time, distance, cost, locality). */
export function rankedMeasures(r: RankedCache, nowMs: number) {
  return {
    last_heartbeat_age_s: heartbeatAgeS(r.entry, nowMs),
    distance_km: r.distanceKm === null ? null : Math.round(r.distanceKm * 10) / 10,
    score: Math.round(r.score * 1e6) / 1e6,
    local: r.local,
  };
}

/** `rankedMeasures` in the order `rankedView` writes them: the holes of its serialisation template (view-cache.ts). */
export const RANKED_HOLES = ['last_heartbeat_age_s', 'distance_km', 'score', 'local'] as const;

/** `JSON.stringify` of a measure (a number, a boolean or null), without its general machinery. */
const jsonScalar = (v: number | boolean | null) => (typeof v === 'number' && !Number.isFinite(v) ? 'null' : String(v));

/** The measures serialised, in `RANKED_HOLES` order: what fills a ranked template's holes. */
export function rankedHoleValues(r: RankedCache, nowMs: number): string[] {
  const m = rankedMeasures(r, nowMs);
  return RANKED_HOLES.map((hole) => jsonScalar(m[hole]));
}

/**
 * What a ranked cache adds to (or changes in) `cacheView`: the measures, and the fields that depend on
 * how this lookup sees the cache (the address to use, its site, whether it is degraded, its max load),
 * which stay the same from one lookup to the next for nearly every cache.
 */
export function rankedFields(r: RankedCache, nowMs: number) {
  const m = rankedMeasures(r, nowMs);
  return {
    // The address for this caller: a `private` cache's private address inside its own site.
    proxy: proxyUrl(r.host, r.entry.heartbeat.cachePort),
    site: r.site ?? r.entry.heartbeat.site ?? null,
    last_heartbeat_age_s: m.last_heartbeat_age_s,
    address: r.host,
    degraded: r.degraded,
    distance_km: m.distance_km,
    score: m.score,
    local: m.local,
    effective_max_load: r.maxLoad,
  };
}

export function rankedView(r: RankedCache, nowMs: number) {
  return { ...cacheView(r.entry, nowMs), ...rankedFields(r, nowMs) };
}

export function callerView(caller: Caller) {
  return {
    ip: caller.ip,
    located_by: caller.locatedBy,
    latitude: caller.latitude,
    longitude: caller.longitude,
    city: caller.geo?.city ?? null,
    country_code: caller.geo?.countryCode ?? null,
    site: caller.sites[0] ?? null,
  };
}

/** `/api/v1/caches`: every listed cache, in hostname order. */
export function cacheListView(entries: readonly CacheEntry[], nowMs: number) {
  const caches = [...entries].sort((a, b) => a.heartbeat.hostname.localeCompare(b.heartbeat.hostname));
  return { count: caches.length, caches: caches.map((e) => cacheView(e, nowMs)) };
}

/** The note while the registry is still filling after a start (`--warmup`): an answer with few caches is not the whole truth yet. */
export const WARMING_NOTE = 'registry still filling after a restart: caches reappear as their agents send heartbeats (within one heartbeat interval)';

/**
 * `/api/v1/nearest`'s body: `asciiJson(JSON.stringify({ caller, note, caches: caches.map(rankedView) }))`,
 * the caches' text made once per ranked list and each cache's fixed part once per entry (`views`).
 */
export function nearestJson(result: LookupResult, nowMs: number, views: Pick<ViewCache, 'rankedListJson' | 'callerJson'>, warming = false): string {
  const note = warming ? (result.note ? `${WARMING_NOTE}; ${result.note}` : WARMING_NOTE) : result.note;
  // Joined into one flat string, as fillTemplate explains.
  return ['{"caller":', views.callerJson(result.caller), ',"note":', note === null ? 'null' : asciiJson(JSON.stringify(note)), ',"caches":[', views.rankedListJson(result.caches, nowMs), ']}'].join('');
}
