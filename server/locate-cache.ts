import type { Heartbeat } from '../shared/heartbeat.js';
import type { GeoIp } from './geoip.js';
import type { CacheLocation } from './registry/types.js';

const EMPTY_GEO = {
  city: null,
  regionCode: null,
  countryCode: null,
  countryName: null,
  continent: null,
  timeZone: null,
  postalCode: null,
  metroCode: null,
};

/** The address GeoIP should see for a cache: public, else external (as the original). */
export function geolocationAddress(hb: Heartbeat): string | undefined {
  return hb.publicIp ?? hb.externalIp;
}

/** Declared coordinates win over GeoIP; city and country still come from GeoIP when it knows them. */
export function locateCache(hb: Heartbeat, geoip: GeoIp): CacheLocation | null {
  const address = geolocationAddress(hb);
  const looked = address ? geoip.lookup(address) : null;
  if (hb.latitude !== undefined && hb.longitude !== undefined) {
    return { ...(looked ?? EMPTY_GEO), latitude: hb.latitude, longitude: hb.longitude, source: 'declared' };
  }
  return looked ? { ...looked, source: 'geoip' } : null;
}

/** A cache needs geolocating again only when what its location depends on changed. */
export function sameLocationInputs(a: Heartbeat, b: Heartbeat): boolean {
  return geolocationAddress(a) === geolocationAddress(b) && a.latitude === b.latitude && a.longitude === b.longitude;
}
