import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCache, PLACES } from '../../support/app.js';
import { startTestServer, type TestServer } from '../../support/server.js';

/** Every URL a page names: src=, href=, form action=. */
const urlsIn = (html: string) => [...html.matchAll(/\s(?:src|href|action)="([^"]*)"/g)].map((m) => (m[1] as string).replaceAll('&amp;', '&'));

describe('--base-path /shoal: every route under a sub-path, nothing outside it', () => {
  let server: TestServer;
  const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, { redirect: 'manual', ...init });

  beforeAll(async () => {
    // by-load: the loopback caller has no location, and the PAC route would answer it 400 in the default mode.
    server = await startTestServer({ amqp: false, flags: { basePath: '/shoal/', unknownCaller: 'by-load' } });
    for (let i = 0; i < 60; i++) await addCache(server, { uuid: `cache${String(i).padStart(2, '0')}`, hostname: `squid${i}.test`, external_ip: PLACES.cern });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('reads the setting without its trailing slash', () => {
    expect(server.config.basePath).toBe('/shoal');
  });

  it.each(['/shoal/api/v1/nearest', '/shoal/api/v1/caches', '/shoal/wpad.dat', '/shoal/proxy.pac', '/shoal/nearest/5', '/shoal/nearestcvmfs/5/', '/shoal/all', '/shoal/healthz', '/shoal/readyz', '/shoal/metrics', '/shoal/openapi.json', '/shoal/'])(
    'answers %s',
    async (path) => {
      const response = await get(path);
      expect(response.status).toBe(200);
    },
  );

  it('answers the original routes with their bytes, under the prefix', async () => {
    const body = await (await get('/shoal/nearest/5')).text();
    expect(body).toMatch(/^\{"0": \{"hostname": "squid\d+\.test", /);
    expect((await get('/shoal/wpad.dat')).headers.get('content-type')).toContain('application/x-ns-proxy-autoconfig');
  });

  it.each(['/api/v1/nearest', '/wpad.dat', '/nearest/5', '/readyz', '/status/live', '/openapi.json', '/shoalx/api/v1/nearest', '/other/api/v1/nearest'])('404s %s, outside the prefix', async (path) => {
    const response = await get(path);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('404s / too, and sends /shoal to /shoal/ (as Apache and nginx do for a directory), query kept', async () => {
    expect((await get('/')).status).toBe(404);
    const redirect = await get('/shoal?sort=load');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/shoal/?sort=load');
  });

  it('writes every link, asset, form and script base of the status page under /shoal/', async () => {
    for (const page of ['/shoal/', '/shoal/?sort=load&dir=desc&per=25', '/shoal/status/live?page=2&per=25']) {
      const html = await (await get(page)).text();
      const urls = urlsIn(html).filter((u) => !u.startsWith('#') && u !== 'data:,');
      expect(urls.length).toBeGreaterThan(page.includes('live') ? 5 : 15);
      expect(urls.filter((u) => !u.startsWith('/shoal/'))).toEqual([]);
    }
    const html = await (await get('/shoal/')).text();
    expect(html).toContain('data-base-path="/shoal"');
    expect(urlsIn(html)).toEqual(expect.arrayContaining(['/shoal/api/v1/nearest', '/shoal/api/v1/caches', '/shoal/', expect.stringMatching(/^\/shoal\/status\/assets\/status\.js\?v=/)]));
    // The pager's links stay on the page.
    const live = await (await get('/shoal/status/live?per=25')).text();
    expect(urlsIn(live).filter((u) => /^\/shoal\/\?(?=.*\bpage=2\b)(?=.*\bper=25\b)/.test(u)).length).toBeGreaterThan(0);
  });

  it('serves the assets under the prefix, and the script builds its fetches from the page base', async () => {
    const html = await (await get('/shoal/')).text();
    const script = urlsIn(html).find((u) => u.includes('status.js')) as string;
    const js = await (await get(script)).text();
    expect(js).toContain("fetch(base + '/status/live'");
    expect(js).toContain("fetch(base + '/api/v1/nearest?'");
    // No absolute path of the script is left without the base.
    expect(js.match(/fetch\('\//g)).toBeNull();
    const css = urlsIn(html).find((u) => u.includes('status.css')) as string;
    expect((await get(css)).headers.get('cache-control')).toContain('immutable');
  });

  it('names /shoal as the OpenAPI server, so a generated client asks under it', async () => {
    const doc = (await (await get('/shoal/openapi.json')).json()) as { servers: { url: string }[] };
    expect(doc.servers).toEqual([{ url: '/shoal' }]);
  });
});

describe('no --base-path (the default)', () => {
  it('serves at the root as before: /, /api/v1/nearest, and the OpenAPI server /', async () => {
    const server = await startTestServer({ amqp: false });
    try {
      expect(server.config.basePath).toBe('');
      expect((await fetch(`${server.url}/`)).status).toBe(200);
      expect((await fetch(`${server.url}/api/v1/nearest`)).status).toBe(200);
      const html = await (await fetch(`${server.url}/`)).text();
      expect(urlsIn(html).filter((u) => u.startsWith('/shoal'))).toEqual([]);
      expect(((await (await fetch(`${server.url}/openapi.json`)).json()) as { servers: unknown }).servers).toEqual([{ url: '/' }]);
    } finally {
      await server.stop();
    }
  });

  it.each(['shoal', '/shoal path', '/a//b', '/../x', '/x?y'])('refuses --base-path %j', async (basePath) => {
    await expect(startTestServer({ amqp: false, flags: { basePath } })).rejects.toThrow(/base-path|basePath/);
  });
});
