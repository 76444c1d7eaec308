import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchNearest, originalRoute, serverTarget } from '../../client/fetch-nearest.js';
import { printable, type RejectedMember } from '../../client/proxy-member.js';

/**
 * An original Shoal server, as far as a client sees one: only its routes (no /api/v1: 404), answering the
 * bytes its web.py view writes (Python json.dumps spacing, entries keyed "0", "1", ... in rank order,
 * `squid_port` a string as agents send it, `local` null unless local, `distance` the ranking cost).
 */
const geo = '{"city": "Victoria", "region_code": "BC", "area_code": 0, "dma_code": 0, "metro_code": null, "country_code3": "CAN", "latitude": 48.4634, "postal_code": "V8W", "longitude": -123.3117, "country_code": "CA", "country_name": "Canada", "continent": "NA", "time_zone": "America/Vancouver"}';
const entry = (fields: string) =>
  `{"created": 1795321500.123456, "last_active": 1795321580.9598508, ${fields}, "geo_data": ${geo}, "load": 12.5, "verified": true, "global_access": true, "max_load": 122000, "cache_type": "squid", "upstream": "both"}`;
const CVMFS_BODY =
  '{"0": ' + entry('"hostname": "squid-a.example.org", "squid_port": "3128", "public_ip": "142.104.1.1", "private_ip": "10.1.2.3", "external_ip": null, "local": null, "distance": 0.0123') +
  ', "1": ' + entry('"hostname": "squid-b.example.org", "squid_port": "3129", "public_ip": null, "private_ip": "10.9.9.9", "external_ip": null, "local": true, "distance": 0.05') +
  ', "2": ' + entry('"hostname": "evil.example", "squid_port": "3128", "public_ip": "$(touch /tmp/x)", "private_ip": null, "external_ip": null, "local": null, "distance": 0.07') +
  ', "3": ' + entry('"hostname": "squid-c.example.org", "squid_port": "0x50", "public_ip": "133.11.0.1", "private_ip": null, "external_ip": null, "local": null, "distance": 0.08') +
  ', "4": ' + entry('"hostname": "squid_d", "squid_port": 8080, "public_ip": "2001:db8::1", "private_ip": null, "external_ip": null, "local": null, "distance": 0.09') +
  '}';
const CONDITIONS_BODY = '{"0": ' + entry('"hostname": "frontier-a.example.org", "squid_port": "3128", "public_ip": "188.184.1.1", "private_ip": null, "external_ip": null, "local": null, "distance": 0.2') + '}';

interface Old {
  url: string;
  requests: string[];
  bodies: Record<string, string>;
  close(): Promise<void>;
}

async function startOriginalServer(): Promise<Old> {
  const state: Old = { url: '', requests: [], bodies: { nearestcvmfs: CVMFS_BODY, nearestconditions: CONDITIONS_BODY, nearest: 'null', nearestverified: CVMFS_BODY }, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    state.requests.push(path);
    const m = /^\/(nearest|nearestverified|nearestcvmfs|nearestconditions)(?:\/(\d+))?\/?$/.exec(path);
    if (!m) return void res.writeHead(404, { 'content-type': 'text/html' }).end('not found');
    res.writeHead(200, { 'content-type': 'application/json' }).end(state.bodies[m[1] as string]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

describe('fetchNearest against an original Shoal server (no /api/v1)', () => {
  let old: Old;
  let rejected: RejectedMember[];
  let notes: string[];
  beforeAll(async () => {
    old = await startOriginalServer();
  });
  afterAll(() => old.close());
  beforeEach(() => {
    old.requests.length = 0;
    rejected = [];
    notes = [];
  });
  const ask = (server: string, upstream: 'cvmfs' | 'frontier' = 'cvmfs') =>
    fetchNearest({ servers: [server], count: 8, timeoutMs: 2000, upstream, onRejected: (r) => rejected.push(r), onNote: (n) => notes.push(n.message) });

  it('asks /api/v1 first, then the original CVMFS route, and reads its entries in order, each member checked', async () => {
    const result = await ask(old.url);
    expect(old.requests).toEqual(['/api/v1/nearest?count=8&upstream=cvmfs', '/nearestcvmfs/8/']);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.answer.original_route).toBe('/nearestcvmfs/8/');
    // public_ip (the private address of the cache marked local), as the original client connects.
    expect(result.answer.caches.map((c) => c.proxy)).toEqual(['http://142.104.1.1:3128', 'http://10.9.9.9:3129', 'http://[2001:db8::1]:8080']);
    expect(result.answer.caches.map((c) => c.score)).toEqual([0.0123, 0.05, 0.09]);
    expect(result.answer.caches[0]).toMatchObject({ hostname: 'squid-a.example.org', port: 3128, load: 12.5, local: false, distance_km: null });
    // A name that is no DNS name is not what the proxy uses: the address stands in for it.
    expect(result.answer.caches[2]?.hostname).toBe('2001:db8::1');
    expect(rejected.map((r) => r.member)).toEqual([printable('$(touch /tmp/x):3128'), printable('133.11.0.1:0x50')]);
    expect(rejected.every((r) => r.source === 'server' && r.reason.startsWith('public_ip:squid_port is not http://'))).toBe(true);
    expect(notes).toEqual([`no /api/v1 there (HTTP 404), as on an original Shoal server: asking its original route ${old.url}/nearestcvmfs/8/`]);
  });

  it('asks /nearestconditions/<n>/ for Frontier', async () => {
    const result = await ask(old.url, 'frontier');
    expect(old.requests[1]).toBe('/nearestconditions/8/');
    expect(result.ok && result.answer.caches.map((c) => c.proxy)).toEqual(['http://188.184.1.1:3128']);
  });

  it("takes the original client's cvmfs_url (http://host/nearestcvmfs) as its base, and says so", async () => {
    const result = await ask(`${old.url}/nearestcvmfs`);
    expect(old.requests).toEqual(['/api/v1/nearest?count=8&upstream=cvmfs', '/nearestcvmfs/8/']);
    expect(result.ok).toBe(true);
    expect(notes[0]).toBe(`server URL names the original route /nearestcvmfs: asking its base ${old.url} (/api/v1/nearest, or /nearestcvmfs/8/ if it is an original Shoal server)`);
  });

  it('keeps the route an older shoal_server_url names (/nearestverified) for CVMFS', async () => {
    await ask(`${old.url}/nearestverified/`);
    expect(old.requests[1]).toBe('/nearestverified/8/');
  });

  it('an original null answer lists no cache', async () => {
    const result = await ask(`${old.url}/nearest`);
    expect(result).toMatchObject({ ok: true, answer: { caches: [] } });
  });

  it('a server with neither route says both answers', async () => {
    const result = await ask(`${old.url}/shoal`);
    expect(result).toMatchObject({ ok: false, attempts: [{ error: 'HTTP 404, and HTTP 404 from the original route /nearestcvmfs/8/' }] });
  });

  it('refuses an original answer that is not the object keyed "0", "1", ...', async () => {
    old.bodies.nearestcvmfs = '[{"hostname": "a"}]';
    try {
      expect(await ask(old.url)).toMatchObject({ ok: false, attempts: [{ error: expect.stringContaining('unexpected answer') }] });
    } finally {
      old.bodies.nearestcvmfs = CVMFS_BODY;
    }
  });
});

describe('server URLs and original routes', () => {
  it.each([
    ['http://shoal.example.org:8080', 'http://shoal.example.org:8080', null],
    ['http://shoal.example.org:8080/', 'http://shoal.example.org:8080', null],
    ['http://shoal.example.org/nearestcvmfs', 'http://shoal.example.org', 'nearestcvmfs'],
    ['http://shoal.example.org/nearestcvmfs/', 'http://shoal.example.org', 'nearestcvmfs'],
    ['http://shoal.example.org/shoal/nearestconditions/5/', 'http://shoal.example.org/shoal', 'nearestconditions'],
    ['http://shoal.example.org:8080/nearest', 'http://shoal.example.org:8080', 'nearest'],
    ['http://shoal.example.org/nearestish', 'http://shoal.example.org/nearestish', null],
  ])('%s is base %s, route %s', (url, base, route) => {
    expect(serverTarget(url)).toEqual({ base, route });
  });

  it.each([
    [null, 'cvmfs', 'nearestcvmfs'],
    [null, 'frontier', 'nearestconditions'],
    ['nearestcvmfs', 'frontier', 'nearestconditions'],
    ['nearestconditions', 'cvmfs', 'nearestcvmfs'],
    ['nearest', 'cvmfs', 'nearest'],
    ['nearestverified', 'cvmfs', 'nearestverified'],
    ['nearestverified', 'frontier', 'nearestconditions'],
    [null, 'any', 'nearest'],
  ] as const)('named %s, for %s: asks /%s', (named, upstream, route) => {
    expect(originalRoute(named, upstream)).toBe(route);
  });
});
