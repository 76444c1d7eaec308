import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/server.js';
import { addCache, getJson, PLACES, startAppServer, writeCoverage } from '../../support/app.js';

interface Nearest {
  caller: { ip: string; located_by: string; site: string | null; city: string | null; latitude: number | null };
  note: string | null;
  caches: { hostname: string; local: boolean; address: string; proxy: string; site: string | null; degraded: boolean }[];
}

describe('locality: site networks and access levels', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startAppServer();
    await addCache(server, { hostname: 'a.uvic.test', public_ip: PLACES.victoria, site: 'uvic', networks: ['10.1.0.0/16'], latitude: 48.46, longitude: -123.31 });
    await addCache(server, { hostname: 'site-only.uvic.test', public_ip: PLACES.victoria, site: 'uvic', access: 'site' });
    await addCache(server, { hostname: 'private.uvic.test', public_ip: PLACES.victoria, private_ip: '10.1.0.6', site: 'uvic', access: 'private' });
    await addCache(server, { hostname: 'b.cern.test', public_ip: PLACES.cern, external_ip: undefined, private_ip: undefined });
  });
  afterAll(async () => server?.stop());

  const nearest = async (query: string) => (await getJson<Nearest>(server, `/api/v1/nearest?${query}`)).body;

  it('places a caller inside a site’s networks at the site and gives it the site’s caches first, marked local', async () => {
    const body = await nearest('ip=10.1.2.3&count=10');
    expect(body.caller).toMatchObject({ ip: '10.1.2.3', located_by: 'site', site: 'uvic', latitude: 48.46 });
    expect(body.caches.map((c) => [c.hostname, c.local])).toEqual([
      ['a.uvic.test', true],
      ['private.uvic.test', true],
      ['site-only.uvic.test', true],
      ['b.cern.test', false],
    ]);
  });

  it('gives a private cache’s private address to callers of its own site', async () => {
    const body = await nearest('ip=10.1.2.3&count=10');
    const cache = body.caches.find((c) => c.hostname === 'private.uvic.test');
    expect(cache).toMatchObject({ address: '10.1.0.6', proxy: 'http://10.1.0.6:3128' });
  });

  it('hides site and private caches from callers outside the site', async () => {
    const body = await nearest(`ip=${PLACES.tokyo}&count=10`);
    expect(body.caller).toMatchObject({ located_by: 'geoip', site: null });
    expect(body.caches.map((c) => c.hostname).sort()).toEqual(['a.uvic.test', 'b.cern.test']);
    expect(body.caches.every((c) => !c.local)).toBe(true);
  });

  it('says the caller is unknown when neither a site nor GeoIP places it, and still answers by load', async () => {
    const body = await nearest('ip=192.168.7.7&count=10');
    expect(body.caller).toMatchObject({ located_by: 'unknown', site: null });
    expect(body.note).toMatch(/location unknown/);
    expect(body.caches.map((c) => c.hostname).sort()).toEqual(['a.uvic.test', 'b.cern.test']);
  });

  it('ranks from lat/lon when given (located by query), keeping site-local caches first', async () => {
    const body = await nearest('ip=10.1.2.3&lat=46.2&lon=6.1&count=10');
    expect(body.caller.located_by).toBe('query');
    expect(body.caches[0]?.local).toBe(true);
    expect(body.caches.at(-1)?.hostname).toBe('b.cern.test');
  });
});

describe('locality: the operator’s coverage file', () => {
  let server: TestServer;

  beforeAll(async () => {
    const coverageFile = await writeCoverage({ cern: ['188.184.0.0/16', '10.9.0.0/16'] });
    server = await startAppServer({ coverageFile, trustedProxies: '127.0.0.1' });
    // An original agent declares nothing: the coverage file puts it in site "cern".
    await addCache(server, { hostname: 'squid.cern.test', public_ip: PLACES.cern, external_ip: undefined, private_ip: undefined });
    await addCache(server, { hostname: 'squid.uvic.test', public_ip: PLACES.victoria, external_ip: undefined, private_ip: undefined });
  });
  afterAll(async () => server?.stop());

  it('puts undeclared caches in the site whose CIDRs hold their address', async () => {
    const { body } = await getJson<Nearest>(server, `/api/v1/nearest?ip=10.9.4.4`);
    expect(body.caller).toMatchObject({ located_by: 'site', site: 'cern', city: 'Geneva' });
    expect(body.caches[0]).toMatchObject({ hostname: 'squid.cern.test', local: true, site: 'cern' });
    expect(body.caches[1]).toMatchObject({ hostname: 'squid.uvic.test', local: false });
  });

  it('marks site-local caches "local": true in the original JSON, from the caller’s real address', async () => {
    const response = await fetch(`${server.url}/nearest/5/`, { headers: { 'X-Forwarded-For': '10.9.4.4' } });
    const text = await response.text();
    expect(text.startsWith('{"0": {"hostname": "squid.cern.test", ')).toBe(true);
    // Not local: null, as the original wrote it (its client reads false as the string 'false', which is true).
    const locals = [...text.matchAll(/"local": (true|false|null)/g)].map((m) => m[1]);
    expect(locals).toEqual(['true', 'null']);
  });

  it('refuses to start on a coverage file with a bad CIDR, naming it', async () => {
    const coverageFile = await writeCoverage({ x: ['10.0.0.0/40'] });
    await expect(startAppServer({ coverageFile })).rejects.toThrow(/x\.0: must be a CIDR/);
  });
});

describe('locality: overloaded and failing caches', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startAppServer();
  });
  afterAll(async () => server?.stop());

  it('leaves out overloaded and failing caches while another is left, and offers them with a note when none is', async () => {
    await addCache(server, { hostname: 'busy.test', public_ip: PLACES.victoria, max_load: 100, load: 100 });
    await addCache(server, { hostname: 'failing.test', public_ip: PLACES.victoria, status: 'failing', status_reason: 'squid down' });
    const onlyDegraded = await getJson<Nearest>(server, `/api/v1/nearest?ip=${PLACES.victoria}&count=10`);
    expect(onlyDegraded.body.note).toMatch(/overloaded or failing; offering them anyway/);
    expect(onlyDegraded.body.caches.map((c) => [c.hostname, c.degraded]).sort()).toEqual([
      ['busy.test', true],
      ['failing.test', true],
    ]);

    await addCache(server, { hostname: 'fine.test', public_ip: PLACES.tokyo, max_load: 100, load: 10 });
    const body = (await getJson<Nearest>(server, `/api/v1/nearest?ip=${PLACES.victoria}&count=10`)).body;
    expect(body.caches.map((c) => c.hostname)).toEqual(['fine.test']);
    expect(body.note).toBeNull();
  });
});
