import type { CacheEntry, CacheLocation } from '../../server/model/cache.js';
import { parseHeartbeat, type Heartbeat } from '../../shared/heartbeat.js';
import { host, port } from './identity.js';

/**
 * Fixtures for what the registry holds. Build the heartbeat one of two ways, then wrap it:
 * `cacheEntry(heartbeat({ load: 500 }))` (typed fields) or `cacheEntry(parsedHeartbeat(originalHeartbeat({ ... })))`
 * (wire fields, through the parser as ingest takes them).
 */

/** A heartbeat parsed from wire fields (snake_case, as agents send them); fields the parser refuses fail the test. */
export function parsedHeartbeat(wire: Record<string, unknown>): Heartbeat {
  const parsed = parseHeartbeat(wire);
  if (!parsed.ok) throw new Error(`test fixture: heartbeat refused: ${parsed.reason}`);
  return parsed.heartbeat;
}

/** A typed heartbeat: squid.site.test:3128, a squid for both upstreams, global, ok, load 10 of 1000, sent at 1 s; `fields` over it. */
export function heartbeat(fields: Partial<Heartbeat> = {}): Heartbeat {
  return {
    uuid: 'u1',
    hostname: host('squid.site.test'),
    cachePort: port(3128),
    cacheType: 'squid',
    upstream: 'both',
    verified: false,
    maxLoad: 1000,
    load: 10,
    timestamp: 1,
    access: 'global',
    status: 'ok',
    ...fields,
  };
}

/** Victoria, BC: where the bundled GeoLite2 database places 142.104.1.1; `fields` over it. */
export function cacheLocation(fields: Partial<CacheLocation> = {}): CacheLocation {
  return {
    latitude: 48.46,
    longitude: -123.31,
    city: 'Victoria',
    regionCode: 'BC',
    countryCode: 'CA',
    countryName: 'Canada',
    continent: 'NA',
    timeZone: 'America/Vancouver',
    postalCode: null,
    metroCode: null,
    source: 'geoip',
    ...fields,
  };
}

/** A registry entry for `hb`: id its uuid, no location, not checked by the server, created and last active at 0; `entry` over any of that. */
export function cacheEntry(hb: Heartbeat, entry: Partial<Omit<CacheEntry, 'heartbeat'>> = {}): CacheEntry {
  return { id: hb.uuid, heartbeat: hb, location: null, unit: null, createdMs: 0, lastActiveMs: 0, verification: null, ...entry };
}
