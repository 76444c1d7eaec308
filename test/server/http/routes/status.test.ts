import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../support/clock.js';
import { originalHeartbeat, startTestServer, type TestServer } from '../../../support/server.js';

/** The status page's HTTP side, in-process (no broker: heartbeats go straight to the ingest). */
describe('status page routes', () => {
  const clock = createManualClock(Date.UTC(2026, 0, 1, 12));
  let server: TestServer;

  const get = (path: string) => server.app.request(path);
  const rowsOf = (html: string) => [...html.matchAll(/<tr data-id="([^"]+)"/g)].map((m) => m[1]);

  beforeAll(async () => {
    server = await startTestServer({ amqp: false, clock });
    // 120 caches: every third located by declared coordinates, one in three loaded more than the last.
    for (let i = 0; i < 120; i++) {
      const body = originalHeartbeat({
        uuid: `cache${String(i).padStart(3, '0')}`,
        hostname: `squid${i}.site${i % 7}.test`,
        load: i * 100,
        max_load: 20_000,
        timestamp: clock.now() / 1000,
        ...(i % 3 === 0 ? { latitude: 46.2 + i / 100, longitude: 6.1 } : { external_ip: undefined, private_ip: '10.0.0.1' }),
        ...(i === 5 ? { status: 'failing', status_reason: 'test URL answered 503' } : {}),
        ...(i === 6 ? { verified: true } : {}),
      });
      const result = await server.ingest.handle(JSON.stringify(body));
      expect(result.ok).toBe(true);
    }
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves the page with a table page, a marker per located cache and a strict CSP', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await response.text();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(rowsOf(html)).toHaveLength(50);
    expect(html.match(/<circle class="marker /g)).toHaveLength(40);
    expect(html).toContain('<strong>120</strong> caches');
    expect(html).toContain('1 failing');
    expect(html).toContain('1 verified');
  });

  it('loads nothing from another origin: every src and href is local', async () => {
    const html = await (await get('/')).text();
    const refs = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(5);
    expect(refs.filter((r) => !r.startsWith('/') && !r.startsWith('#') && r !== 'data:,')).toEqual([]);
  });

  it('pages, sorts and filters on the server, so the table works without JavaScript', async () => {
    const page3 = await (await get('/?page=3')).text();
    expect(rowsOf(page3)).toEqual(Array.from({ length: 20 }, (_, i) => `cache${String(100 + i).padStart(3, '0')}`));
    expect(page3).toContain('Page 3 of 3');
    expect(page3).toContain('href="/?page=2"');

    const byLoad = rowsOf(await (await get('/?sort=load&dir=desc&per=25')).text());
    expect(byLoad).toHaveLength(25);
    expect(byLoad[0]).toBe('cache119');

    const site3 = await (await get('/?q=site3&state=unverified')).text();
    expect(rowsOf(site3).length).toBe(17);
    expect(site3).toContain('value="site3"');
  });

  it('shows the page for a bad query rather than an error', async () => {
    const response = await get('/?sort=%3Cscript%3E&page=abc&per=1000000');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(rowsOf(html)).toHaveLength(50);
    expect(html).not.toContain('<script>');
  });

  it('escapes what agents send', async () => {
    // Hostname and site are typed at the edge (no markup gets that far); free text such as a failure reason is escaped.
    const refused = await server.ingest.handle(JSON.stringify(originalHeartbeat({ uuid: 'evil', hostname: '<img/src=x>', timestamp: clock.now() / 1000 })));
    expect(refused.ok).toBe(false);
    await server.ingest.handle(
      JSON.stringify({ ...originalHeartbeat({ uuid: 'evil', hostname: 'evil.test', timestamp: clock.now() / 1000 }), status: 'failing', status_reason: '<img/src=x>' }),
    );
    const html = await (await get('/?q=evil')).text();
    expect(html).toContain('&lt;img/src=x&gt;');
    expect(html).not.toContain('<img/src=x>');
    await server.registry.remove('evil');
  });

  it('marks a cache an operator drains', async () => {
    server.drains.drain('cache003');
    try {
      const html = await (await get('/?per=25')).text();
      const row = html.match(/<tr data-id="cache003"[\s\S]*?<\/tr>/)?.[0] ?? '';
      expect(row).toContain('class="badge draining"');
      expect(html).toMatch(/<circle class="marker unverified draining"[^>]*data-id="cache003"/);
      // Once in its table row and once in its card (narrow screens show the cards): no other cache is marked.
      expect(html.match(/class="badge draining"/g)).toHaveLength(2);
      expect(html.match(/<li class="card [^"]*" data-id="cache003"[\s\S]*?<\/li>/)?.[0]).toContain('class="badge draining"');
    } finally {
      server.drains.undrain('cache003');
    }
  });

  it('serves the live parts (summary, markers, table) for the script', async () => {
    const response = await get('/status/live?page=2');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('id="summary"');
    expect(html).toMatch(/<svg><g id="markers"/);
    expect(html).toContain('id="table-region"');
    expect(rowsOf(html)[0]).toBe('cache050');
    expect(html).not.toContain('<html');
  });

  it('serves its own script and stylesheet, cached for good under their hash', async () => {
    const html = await (await get('/')).text();
    const script = html.match(/src="(\/status\/assets\/status\.js\?v=[0-9a-f]{12})"/)?.[1];
    const style = html.match(/href="(\/status\/assets\/status\.css\?v=[0-9a-f]{12})"/)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    const js = await get(script as string);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toContain('/api/v1/nearest');
    const css = await get(style as string);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).toContain('prefers-color-scheme: dark');
    expect((await get('/status/assets/status.js')).headers.get('cache-control')).toBe('no-cache');
    const missing = await get('/status/assets/secret.txt');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('compresses the page for browsers that accept gzip, and leaves the API alone', async () => {
    const page = await get('/');
    expect(page.headers.get('content-encoding')).toBeNull();
    const gz = await server.app.request('/', { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const api = await server.app.request('/api/v1/caches', { headers: { 'accept-encoding': 'gzip' } });
    expect(api.headers.get('content-encoding')).toBeNull();
    expect(((await api.json()) as { count: number }).count).toBe(120);
  });
});
