import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachesResponseSchema, ErrorBodySchema, NearestResponseSchema, WlcgWpadResponseSchema } from '../../../../server/http/api-schemas.js';
import type { TestServer } from '../../../support/server.js';
import { addCache, getJson, PLACES, startAppServer } from '../../../support/app.js';

describe('/api/v1/nearest', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startAppServer();
    await addCache(server, { hostname: 'near.test', public_ip: PLACES.cern, external_ip: undefined, upstream: 'cvmfs' });
    await addCache(server, { hostname: 'far.test', public_ip: PLACES.tokyo, external_ip: undefined, upstream: 'both', cache_port: '8080' });
    await addCache(server, { hostname: 'frontier.test', public_ip: PLACES.victoria, external_ip: undefined, upstream: 'frontier' });
  });
  afterAll(async () => server?.stop());

  const text = async (query: string) => {
    const response = await server.app.request(`/api/v1/nearest?ip=${PLACES.cern}&${query}`);
    expect(response.status).toBe(200);
    return { body: await response.text(), type: response.headers.get('content-type') };
  };

  it('answers JSON matching the documented schema, nearest first, private to the caller', async () => {
    const { status, body, headers } = await getJson(server, `/api/v1/nearest?ip=${PLACES.cern}&upstream=cvmfs`);
    expect(status).toBe(200);
    const parsed = NearestResponseSchema.parse(body);
    expect(parsed.caches.map((c) => c.hostname)).toEqual(['near.test', 'far.test']);
    expect(parsed.caller).toMatchObject({ located_by: 'geoip', city: 'Geneva' });
    expect(headers.get('cache-control')).toBe('private, max-age=30');
    expect(headers.get('vary')).toBe('X-Forwarded-For');
  });

  it.each([
    ['cvmfs', 'upstream=cvmfs', 'http://near.test:3128;http://far.test:8080;DIRECT\n', 'text/plain; charset=utf-8'],
    ['frontier', 'upstream=frontier', '(proxyurl=http://frontier.test:3128)(proxyurl=http://far.test:8080)\n', 'text/plain; charset=utf-8'],
    ['text', 'upstream=cvmfs&count=1', 'http://near.test:3128\n', 'text/plain; charset=utf-8'],
  ])('format=%s gives the ready-made string', async (format, query, expected, type) => {
    const got = await text(`format=${format}&${query}`);
    expect(got.body).toBe(expected);
    expect(got.type).toBe(type);
  });

  it('format=pac gives a PAC file', async () => {
    const got = await text('format=pac');
    expect(got.type).toBe('application/x-ns-proxy-autoconfig');
    expect(got.body).toContain('function FindProxyForURL(url, host)');
    expect(got.body).toContain('"PROXY near.test:3128"');
  });

  it.each([
    ['count=0', 'count', 'count: must be a whole number from 1 to 100'],
    ['count=101', 'count', 'count: must be a whole number from 1 to 100'],
    ['count=2.5', 'count', 'count: must be a whole number from 1 to 100'],
    ['count=five', 'count', 'count: must be a whole number from 1 to 100'],
    ['count=', 'count', 'count: must be a whole number from 1 to 100'],
    ['upstream=squid', 'upstream', 'upstream: must be one of cvmfs, frontier, any'],
    ['type=nginx', 'type', 'type: must be one of squid, varnish, any'],
    ['format=xml', 'format', 'format: must be one of json, cvmfs, frontier, pac, text'],
    ['verified=yes', 'verified', 'verified: must be one of true, false'],
    ['ip=1.2.3', 'ip', 'ip: must be an IPv4 or IPv6 address'],
    ['ip=example.org', 'ip', 'ip: must be an IPv4 or IPv6 address'],
    ['lat=91&lon=0', 'lat', 'lat: must be a number from -90 to 90'],
    ['lat=10&lon=-181', 'lon', 'lon: must be a number from -180 to 180'],
    ['lat=10', 'lat', 'lat: lat and lon must be given together'],
    ['colour=blue', 'colour', 'colour: unknown parameter (known: count, ip, lat, lon, upstream, type, verified, format)'],
  ])('answers %s with a 400 naming the parameter', async (query, field, message) => {
    const { status, body } = await getJson(server, `/api/v1/nearest?${query}`);
    expect(status).toBe(400);
    expect(ErrorBodySchema.parse(body).error).toEqual({ code: 'bad_request', field, message });
  });

  it('names every bad parameter at once', async () => {
    const { status, body } = await getJson<{ error: { message: string; field: string } }>(server, '/api/v1/nearest?count=0&type=x');
    expect(status).toBe(400);
    expect(body.error.message).toBe('count: must be a whole number from 1 to 100; type: must be one of squid, varnish, any');
    expect(body.error.field).toBe('count');
  });
});

describe('exports, OpenAPI, readiness and metrics', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startAppServer();
    await addCache(server, { hostname: 'squid.uvic.test', public_ip: PLACES.victoria, private_ip: '10.1.2.3', external_ip: undefined });
    await addCache(server, { hostname: 'natted.test', external_ip: PLACES.cern, private_ip: undefined });
    await addCache(server, { hostname: 'odd-port.test', public_ip: PLACES.tokyo, cache_port: '8080' });
    await addCache(server, { hostname: 'site-only.test', public_ip: PLACES.tokyo, access: 'site', site: 'x' });
    await addCache(server, { hostname: 'busy.test', public_ip: PLACES.tokyo, load: 500, max_load: 100 });
  });
  afterAll(async () => server?.stop());

  it('exports squids in the form WLCG WPAD reads: public_ip, private_ip, city, country_code; port 3128, global and offered only', async () => {
    const { status, body } = await getJson(server, '/api/v1/export/wlcg-wpad');
    expect(status).toBe(200);
    // busy.test is overloaded (WLCG WPAD would hand it to every client of its organisation); no cache here
    // declares a site network holding its private address, so none gets private_ip (issue 17, item 12).
    expect(WlcgWpadResponseSchema.parse(body)).toEqual({
      'natted.test': { public_ip: PLACES.cern, city: 'Geneva', country_code: 'CH' },
      'squid.uvic.test': { public_ip: PLACES.victoria, city: 'Victoria', country_code: 'CA' },
    });
  });

  it('describes every /api/v1 route in /openapi.json, with the parameters the validators take', async () => {
    const { status, body } = await getJson<{ openapi: string; paths: Record<string, Record<string, { parameters?: { name: string; schema: Record<string, unknown> }[] }>> }>(
      server,
      '/openapi.json',
    );
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/nearest', '/api/v1/caches', '/api/v1/export/wlcg-wpad', '/api/v1/admin/caches/{id}', '/api/v1/admin/caches/{id}/drain']),
    );
    const params = body.paths['/api/v1/nearest']?.get?.parameters ?? [];
    expect(params.map((p) => p.name)).toEqual(['count', 'ip', 'lat', 'lon', 'upstream', 'type', 'verified', 'format']);
    expect(params.find((p) => p.name === 'count')?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
    expect(params.find((p) => p.name === 'format')?.schema).toMatchObject({ enum: ['json', 'cvmfs', 'frontier', 'pac', 'text'] });
  });

  it('sends /api/v1/caches as documented', async () => {
    const { body, headers } = await getJson(server, '/api/v1/caches');
    expect(CachesResponseSchema.parse(body).count).toBe(5);
    expect(headers.get('cache-control')).toBe('public, max-age=15');
  });

  it('is ready without a broker configured and with GeoIP loaded, saying which database', async () => {
    const { status, body, headers } = await getJson<{ status: string; geoip: { loaded: boolean; path: string; built: string } }>(server, '/readyz');
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.geoip).toMatchObject({ loaded: true, path: expect.stringMatching(/GeoLite2-City\.mmdb$/), built: expect.stringMatching(/^2019-/) });
    expect(headers.get('cache-control')).toBe('no-store');
  });

  it('exposes caches by state, lookups and the GeoIP database age in /metrics', async () => {
    await server.app.request(`/api/v1/nearest?ip=${PLACES.cern}`);
    const response = await server.app.request('/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('shoal_caches{state="ok"} 4');
    expect(text).toContain('shoal_caches{state="overloaded"} 1');
    expect(text).toMatch(/shoal_lookups_total\{route="api_nearest",outcome="found"\} 1/);
    expect(text).toMatch(/shoal_lookup_duration_seconds_count\{route="api_nearest"\} 1/);
    const age = Number(/^shoal_geoip_database_age_seconds (\S+)$/m.exec(text)?.[1]);
    expect(age).toBeGreaterThan(365 * 86_400); // the bundled database was built in 2019
    expect(text).toContain('shoal_heartbeats_total{result="accepted",reason="ok"} 5');
  });
});
