import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLACES, writeCoverage } from '../support/app.js';
import { originalHeartbeat, publishRaw, startTestServer, waitFor, type TestServer } from '../support/server.js';
import { rabbitAvailable } from '../support/services.js';

/**
 * The original routes as the original server wrote them (issue 17, items 4 and 5), fed through the real
 * AMQP path with heartbeats exactly as the original agent publishes them (Python's json.dumps spacing,
 * numbers as strings, `max_load` -112), and read back with the original client's own regular expressions.
 */

const rabbit = await rabbitAvailable();

/** Inside the coverage file's site `uvic` (GeoIP: Victoria), and not any cache's NAT address. */
const UVIC_CALLER = '142.104.9.9';
const CERN_CALLER = '188.184.9.9';
/** A private address in no site: neither GeoIP nor a site network places it. */
const UNKNOWN_CALLER = '10.200.0.1';

/** The original client's fields and its reading of them (shoal-client's parseServerData and convertServerData). */
const DATA_TYPES = ['load', 'distance', 'squid_port', 'last_active', 'created', 'external_ip', 'hostname', 'public_ip', 'private_ip', 'local'];
function convertServerData(val: string): number | string | null {
  if (/^[0-9]+$/.test(val)) return Number(val);
  const n = Number(val.trim());
  if (val.trim() !== '' && !Number.isNaN(n)) return n;
  if (val.includes('null')) return null;
  return val.replace(/^"+|"+$/g, '');
}
function parseServerData(text: string): Record<string, number | string | null>[] {
  const count = [...text.matchAll(/"load": ([^,}]+)/g)].length;
  const out = Array.from({ length: count }, () => ({}) as Record<string, number | string | null>);
  for (const key of DATA_TYPES) {
    [...text.matchAll(new RegExp(`"${key}": ([^,]+)[,|}]`, 'g'))].forEach((m, i) => {
      if (out[i]) out[i][key] = convertServerData(m[1] as string);
    });
  }
  return out;
}
/** Every value of one field, as `p.findall` gives it. */
const fieldValues = (text: string, key: string) => [...text.matchAll(new RegExp(`"${key}": ([^,]+)[,|}]`, 'g'))].map((m) => m[1]);

/** The original agent's form on the wire: json.dumps spacing. */
const pythonJson = (hb: Record<string, unknown>) => JSON.stringify(hb).replaceAll('":', '": ').replaceAll(',"', ', "');

describe.runIf(rabbit)('original routes through AMQP, read as the original client reads them', () => {
  let server: TestServer;
  const stamp = Date.now();
  const heartbeats = [
    // What an original agent on a NAT'd host sends: private and external address, max_load -112.
    originalHeartbeat({ uuid: `uvic${stamp}`, hostname: 'squid.uvic.test', upstream: 'both' }),
    originalHeartbeat({ uuid: `varnish${stamp}`, hostname: 'varnish.cern.test', cache_type: 'varnish', upstream: 'cvmfs', public_ip: PLACES.cern, external_ip: undefined, private_ip: undefined, max_load: '5000', verified: true }),
    originalHeartbeat({ uuid: `cvmfs${stamp}`, hostname: 'cvmfs.cern.test', upstream: 'cvmfs', public_ip: PLACES.cern, external_ip: undefined, private_ip: undefined, max_load: '5000', verified: true }),
    originalHeartbeat({ uuid: `frontier${stamp}`, hostname: 'frontier.tokyo.test', upstream: 'frontier', public_ip: PLACES.tokyo, external_ip: undefined, private_ip: undefined }),
  ];

  beforeAll(async () => {
    const coverageFile = await writeCoverage({ uvic: ['142.104.0.0/16'] });
    server = await startTestServer({ flags: { trustedProxies: '127.0.0.1', coverageFile } });
    for (const hb of heartbeats) await publishRaw(server.config.exchange, pythonJson(hb));
    await waitFor(() => heartbeats.every((hb) => server.registry.get(hb.uuid as string)), { what: 'the original heartbeats' });
  });
  afterAll(async () => server?.stop());

  const get = async (path: string, caller: string) => {
    const response = await fetch(`${server.url}${path}`, { headers: { 'X-Forwarded-For': caller } });
    expect(response.status, path).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    return response.text();
  };
  const hosts = (text: string) => parseServerData(text).map((c) => c.hostname);

  it('/nearest and /nearestverified list Squids only, of any upstream', async () => {
    const nearest = await get('/nearest/10', CERN_CALLER);
    expect(hosts(nearest).sort()).toEqual(['cvmfs.cern.test', 'frontier.tokyo.test', 'squid.uvic.test']);
    expect(fieldValues(nearest, 'cache_type')).toEqual(['"squid"', '"squid"', '"squid"']);
    // The varnish is verified too, but not a Squid.
    expect(hosts(await get('/nearestverified/10/', CERN_CALLER))).toEqual(['cvmfs.cern.test']);
  });

  it('/nearestcvmfs and /nearestconditions list caches of that upstream or both, of any type', async () => {
    expect(hosts(await get('/nearestcvmfs/10/', CERN_CALLER)).sort()).toEqual(['cvmfs.cern.test', 'squid.uvic.test', 'varnish.cern.test']);
    expect(hosts(await get('/nearestconditions/10/', CERN_CALLER)).sort()).toEqual(['frontier.tokyo.test', 'squid.uvic.test']);
  });

  it('writes local null, never false, outside the caller’s site: the original client reads it as None', async () => {
    for (const path of ['/nearest/10', '/nearestcvmfs/10/', '/nearestconditions/10', '/nearestverified/10', '/all']) {
      const text = await get(path, CERN_CALLER);
      expect(text, path).not.toContain('"local": false');
      const caches = parseServerData(text);
      expect(caches.length, path).toBeGreaterThan(0);
      for (const c of caches) expect(c.local, `${path} ${c.hostname}`).toBeNull();
    }
  });

  it('writes local true for the caller’s own site, and the client then takes the private address', async () => {
    const caches = parseServerData(await get('/nearestcvmfs/10/', UVIC_CALLER));
    expect(caches[0]).toMatchObject({ hostname: 'squid.uvic.test', local: 'true', private_ip: '10.1.2.3', external_ip: PLACES.victoria });
    for (const c of caches.slice(1)) expect(c.local).toBeNull();
  });

  it('writes max_load as a number: the agent’s own, or the default 122000 when it sent -112', async () => {
    for (const path of ['/nearest/10', '/nearestcvmfs/10/', '/all']) {
      const text = await get(path, CERN_CALLER);
      const byHost = Object.fromEntries(
        hosts(text).map((h, i) => [h, fieldValues(text, 'max_load')[i]]),
      );
      expect(Object.values(byHost).every((v) => /^[0-9]+$/.test(v as string)), `${path}: ${JSON.stringify(byHost)}`).toBe(true);
      expect(byHost['squid.uvic.test'], path).toBe('122000');
      if (path !== '/nearest/10') expect(byHost['varnish.cern.test'], path).toBe('5000');
    }
  });

  it('answers null to a caller it cannot place, as the original (and a 400 PAC file, as WLCG WPAD)', async () => {
    for (const path of ['/nearest/5', '/nearestverified/5', '/nearestcvmfs/5/', '/nearestconditions/5']) expect(await get(path, UNKNOWN_CALLER), path).toBe('null');
    const pac = await fetch(`${server.url}/wpad.dat`, { headers: { 'X-Forwarded-For': UNKNOWN_CALLER } });
    expect(pac.status).toBe(400);
    expect(((await pac.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('remote addr not found in database') });
    // The JSON API still answers it, and says why.
    const api = (await (await fetch(`${server.url}/api/v1/nearest?ip=${UNKNOWN_CALLER}`)).json()) as { caller: { located_by: string }; caches: unknown[] };
    expect(api.caller.located_by).toBe('unknown');
    expect(api.caches.length).toBeGreaterThan(0);
  });
});
