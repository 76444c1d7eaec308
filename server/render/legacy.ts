/**
 * The original Shoal's answers: `/nearest`, `/nearestverified`, `/nearestcvmfs`, `/nearestconditions`
 * and `/all` (routes/legacy.ts), in Python's `json.dumps` form (python-json.ts). Deployed original
 * clients read this text with regular expressions (`"key": ([^,]+)[,|}]`), so every key is present in
 * every entry, in one order, and no string value may contain a comma. The names and addresses are typed
 * (checked again by `hostField`/`addressField`); the rest is free text (GeoIP's names, or whatever another
 * replica stored), written plain. Each entry's text is made once by view-cache.ts.
 */

import type { IpLiteral } from '../../shared/identity.js';
import { addressField, hostField } from '../../shared/proxy-string.js';
import type { RankedCache } from '../lookup/nearest.js';
import { effectiveMaxLoad, isVerified, publicAddress, type CacheEntry } from '../model/cache.js';
import { PyFloat, pyDumps, type PyValue } from './python-json.js';
import type { ViewCache } from './view-cache.js';

/** Free text with no comma (the regexes' delimiter), quote, backslash or control or line-separator character. */
export const plainText = (s: string | null | undefined): string | null =>
  s === null || s === undefined ? null : s.replace(/[,"\\\p{Cc}\u2028\u2029]/gu, '');
const address = (ip: IpLiteral | undefined): string | null => (ip === undefined ? null : addressField(ip));

function geoData(entry: CacheEntry): PyValue {
  const l = entry.location;
  if (!l) return null;
  return {
    city: plainText(l.city),
    region_code: plainText(l.regionCode),
    country_code: plainText(l.countryCode),
    country_name: plainText(l.countryName),
    continent: plainText(l.continent),
    latitude: new PyFloat(l.latitude),
    longitude: new PyFloat(l.longitude),
    time_zone: plainText(l.timeZone),
    postal_code: plainText(l.postalCode),
    metro_code: l.metroCode,
  };
}

/** The original's default max load (its `cache_max_load`), shown when no other is known. */
export const ORIGINAL_DEFAULT_MAX_LOAD = 122_000;

/** The fields of a legacy entry that depend on the lookup (the rest depends on the entry alone). */
const legacyDistance = (ranked: Pick<RankedCache, 'score'> | null): PyValue => (ranked ? new PyFloat(ranked.score) : null);
/**
 * `true` for a cache local to the caller, else `null`, as the original (it set `local` on local caches
 * only): never `false`, which its client's regex reads as the string `'false'`, truthy, and then it
 * tries the cache's private address.
 */
const legacyLocal = (ranked: Pick<RankedCache, 'local'> | null): true | null => (ranked?.local ? true : null);
/** Those fields in the order `legacyEntry` writes them: the holes of its serialisation template (view-cache.ts). */
export const LEGACY_HOLES = ['distance', 'local'] as const;
/** Those fields serialised, in `LEGACY_HOLES` order: what fills a legacy template's holes. */
export const legacyHoleValues = (ranked: Pick<RankedCache, 'score' | 'local'>): string[] => [pyDumps(legacyDistance(ranked)), pyDumps(legacyLocal(ranked))];

/**
 * One cache as the original server's jsonify wrote it; `distance` is the ranking cost, as it was there.
 * `max_load` is always a number: the one the lookup ranked against, or outside a lookup the cache's own,
 * else `defaultMaxLoad` (the server's `--default-max-load`; the original's 122000).
 */
export function legacyEntry(entry: CacheEntry, ranked: Pick<RankedCache, 'score' | 'local' | 'maxLoad'> | null, defaultMaxLoad = ORIGINAL_DEFAULT_MAX_LOAD): PyValue {
  const hb = entry.heartbeat;
  return {
    hostname: hostField(hb.hostname),
    squid_port: hb.cachePort,
    public_ip: address(publicAddress(hb)),
    private_ip: address(hb.privateIp),
    external_ip: address(hb.externalIp),
    load: new PyFloat(hb.load),
    max_load: ranked ? ranked.maxLoad : effectiveMaxLoad(hb, defaultMaxLoad),
    distance: legacyDistance(ranked),
    verified: isVerified(entry),
    global_access: hb.access === 'global',
    local: legacyLocal(ranked),
    cache_type: hb.cacheType,
    upstream: hb.upstream,
    created: new PyFloat(entry.createdMs / 1000),
    last_active: new PyFloat(entry.lastActiveMs / 1000),
    geo_data: geoData(entry),
  };
}

/** `{"0": {...}, "1": {...}}` in order, or `null` when there is nothing (as the original). */
export function legacyBody(entries: PyValue[]): string {
  return legacyBodyText(entries.map(pyDumps));
}

/** `legacyBody` of entries already serialised with `pyDumps` (joined into one flat string: see `fillTemplate`). */
export function legacyBodyText(entries: readonly string[]): string {
  if (entries.length === 0) return 'null';
  const out: string[] = ['{'];
  for (let i = 0; i < entries.length; i++) out.push(i === 0 ? '"0": ' : `, "${i}": `, entries[i] as string);
  out.push('}');
  return out.join('');
}

/**
 * `/nearest`, `/nearestverified`, `/nearestcvmfs`, `/nearestconditions`: the ranked caches, each entry's
 * text made once (`views`). The routes ask `views.legacyNearest`, which keeps it per ranked list.
 */
export function legacyNearestBody(caches: readonly RankedCache[], views: Pick<ViewCache, 'legacyPython'>): string {
  return legacyBodyText(caches.map((r) => views.legacyPython(r)));
}

/** `/all`: every listed cache, outside any lookup, each entry's text made once (`views`). */
export function legacyAllBody(entries: readonly CacheEntry[], views: Pick<ViewCache, 'legacyPythonUnranked'>, defaultMaxLoad: number): string {
  return legacyBodyText(entries.map((e) => views.legacyPythonUnranked(e, defaultMaxLoad)));
}
