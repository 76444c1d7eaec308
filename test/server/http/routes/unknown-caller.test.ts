import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../../../server/config.js';
import { addCache, PLACES, startAppServer } from '../../../support/app.js';
import type { TestServer } from '../../../support/server.js';

/** A private address in no site: neither GeoIP nor a site network places it. */
const UNKNOWN = '10.200.0.1';
/** Inside the networks the `lab` cache's agent declares (and unknown to GeoIP). */
const IN_SITE = '10.77.1.2';
const LEGACY = ['/nearest/5', '/nearestverified/5', '/nearestcvmfs/5/', '/nearestconditions/5'];

async function withCaches(flags: Record<string, unknown> = {}): Promise<TestServer> {
  const server = await startAppServer({ trustedProxies: '127.0.0.1', ...flags });
  await addCache(server, { hostname: 'squid.cern.test', public_ip: PLACES.cern, external_ip: undefined, private_ip: undefined, verified: true });
  await addCache(server, { hostname: 'squid.lab.test', public_ip: PLACES.victoria, external_ip: undefined, private_ip: undefined, site: 'lab', networks: ['10.77.0.0/16'], verified: true });
  return server;
}

const from = (server: TestServer, path: string, caller: string) => fetch(`${server.url}${path}`, { headers: { 'X-Forwarded-For': caller } });

describe('unknown callers, --unknown-caller anchor (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await withCaches();
  });
  afterAll(async () => server?.stop());

  it.each(['/wpad.dat', '/proxy.pac', '/api/v1/nearest?format=pac'])('%s answers 400, as WLCG WPAD, so CVMFS tries its next PAC URL', async (path) => {
    const withIp = `${path}${path.includes('?') ? '&' : '?'}ip=${UNKNOWN}`;
    for (const response of [await from(server, path, UNKNOWN), await server.app.request(withIp), await server.app.request(path)]) {
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('bad_request');
      expect(body.error.message).toMatch(/^remote addr not found in database: /);
    }
    expect(await (await server.app.request(withIp)).json()).toMatchObject({ error: { field: 'ip' } });
  });

  it('the original routes answer null, as the original', async () => {
    for (const path of LEGACY) {
      const response = await from(server, path, UNKNOWN);
      expect(response.status).toBe(200);
      expect(await response.text(), path).toBe('null');
    }
  });

  it('a caller inside a declared site is not unknown: it gets its site’s caches first', async () => {
    const pac = await from(server, '/wpad.dat', IN_SITE);
    expect(pac.status).toBe(200);
    expect(await pac.text()).toMatch(/SHOAL_CVMFS = \["PROXY squid\.lab\.test:3128", "PROXY squid\.cern\.test:3128"\]/);
    const text = await (await from(server, '/nearest/5', IN_SITE)).text();
    expect(text.startsWith('{"0": {"hostname": "squid.lab.test", ')).toBe(true);
    expect([...text.matchAll(/"local": ([^,]+)[,|}]/g)].map((m) => m[1])).toEqual(['true', 'null']);
  });

  it('a caller placed by lat/lon or GeoIP gets its PAC file', async () => {
    expect((await server.app.request(`/proxy.pac?ip=${UNKNOWN}&lat=46.2&lon=6.1`)).status).toBe(200);
    expect((await server.app.request(`/proxy.pac?ip=${PLACES.tokyo}`)).status).toBe(200);
    expect(await (await from(server, '/nearest/5', PLACES.tokyo)).text()).toMatch(/^\{"0": /);
  });

  it('/api/v1/nearest still answers an unknown caller, saying so, in every format but a PAC file', async () => {
    for (const format of ['cvmfs', 'frontier', 'text']) expect((await from(server, `/api/v1/nearest?format=${format}`, UNKNOWN)).status, format).toBe(200);
    const body = (await (await from(server, '/api/v1/nearest', UNKNOWN)).json()) as { caller: { located_by: string }; note: string; caches: { hostname: string }[] };
    expect(body.caller.located_by).toBe('unknown');
    expect(body.note).toMatch(/location unknown/);
    expect(body.caches.map((c) => c.hostname).sort()).toEqual(['squid.cern.test', 'squid.lab.test']);
  });
});

describe('unknown callers, --unknown-caller by-load', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await withCaches({ unknownCaller: 'by-load' });
  });
  afterAll(async () => server?.stop());

  it('serves the PAC file and the original routes with caches ranked by load', async () => {
    expect((await from(server, '/api/v1/nearest?format=pac', UNKNOWN)).status).toBe(200);
    const pac = await from(server, '/wpad.dat', UNKNOWN);
    expect(pac.status).toBe(200);
    const body = await pac.text();
    expect(body).toContain('location unknown');
    expect(body).toContain('"PROXY squid.cern.test:3128"');
    for (const path of LEGACY) {
      expect(await (await from(server, path, UNKNOWN)).text(), path).toMatch(/^\{"0": \{"hostname": /);
    }
  });
});

describe('--unknown-caller', () => {
  it('defaults to anchor, takes by-load, and refuses anything else naming the setting', () => {
    expect(loadServerConfig({ env: {}, flags: {} }).unknownCaller).toBe('anchor');
    expect(loadServerConfig({ env: { SHOAL_UNKNOWN_CALLER: 'by-load' }, flags: {} }).unknownCaller).toBe('by-load');
    expect(() => loadServerConfig({ env: {}, flags: { unknownCaller: 'nearest' } })).toThrow(/unknownCaller|unknown-caller/);
  });
});
