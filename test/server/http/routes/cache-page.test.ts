import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCache, PLACES } from '../../../support/app.js';
import { createManualClock } from '../../../support/clock.js';
import { startTestServer, type TestServer } from '../../../support/server.js';

/** `/caches/<id>` in-process: what the page says, its headers, its 404 and 400 pages, and --base-path. */
describe('cache page route', () => {
  const clock = createManualClock(Date.UTC(2026, 0, 1, 12));
  let server: TestServer;
  let squid: string;
  let quiet: string;

  const page = async (path: string) => {
    const response = await server.app.request(path);
    return { status: response.status, headers: response.headers, html: await response.text() };
  };
  const field = (html: string, id: string) => {
    const m = new RegExp(`<div id="field-${id}"><dt>[^<]*</dt><dd>(.*?)</dd></div>`, 's').exec(html);
    return m?.[1]?.replace(/<[^>]+>/g, '') ?? null;
  };

  beforeAll(async () => {
    server = await startTestServer({ amqp: false, clock });
    const fields = { hostname: 'squid.cern.test', public_ip: PLACES.cern, external_ip: undefined, site: 'cern', max_load: '100000', client_count: 1 };
    squid = await addCache(server, { ...fields, load: 20_000, request_rate: 12.5, status: 'failing', status_reason: 'test URL answered 503 <script>' });
    for (let i = 1; i <= 3; i++) {
      clock.advance(30_000);
      await addCache(server, { ...fields, uuid: squid, load: 20_000 + i * 10_000, request_rate: 12.5 + i, status: 'failing', status_reason: 'test URL answered 503 <script>' });
    }
    await server.registry.setVerification(squid, { ok: false, reason: 'timeout: 188.184.1.1:3128: no answer within 3000 ms', checkedMs: clock.now() });
    quiet = await addCache(server, { hostname: 'old-agent.test', public_ip: PLACES.tokyo, external_ip: undefined });
  });
  afterAll(async () => server?.stop());

  it('shows the fields, the Squid figures, the verification history and a chart, under the status page CSP', async () => {
    const { status, headers, html } = await page(`/caches/${squid}`);
    expect(status).toBe(200);
    expect(headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<h1 id="cache-hostname">squid.cern.test</h1>');
    expect(field(html, 'proxy')).toBe('http://squid.cern.test:3128');
    expect(field(html, 'site')).toBe('cern');
    expect(field(html, 'location')).toContain('Geneva');
    expect(field(html, 'load')).toBe('50.0 MB/s of 100.0 MB/s (50%)');
    expect(field(html, 'request-rate')).toBe('15.5 requests/s');
    expect(field(html, 'client-count')).toBe('1 client');
    // Hostile text from a heartbeat is text, never markup.
    expect(field(html, 'status')).toBe('failing: test URL answered 503 &lt;script&gt;');
    expect(html).toContain('id="state-reason"');
    expect(html).toMatch(/<ol id="verification-history"[^>]*><li class="failed">/);
    expect(html).toContain('Last 1 check, newest first');
    expect(html).not.toContain('188.184.1.1:3128'); // the check's detail is for the admin routes
    const points = /<polyline id="load-line" class="chart-line" points="([^"]+)"/.exec(html)?.[1]?.split(' ') ?? [];
    expect(points).toHaveLength(4);
    // Later, higher loads are further right and higher up (smaller y).
    const xy = points.map((p) => p.split(',').map(Number) as [number, number]);
    for (let i = 1; i < xy.length; i++) {
      expect(xy[i]![0]).toBeGreaterThan(xy[i - 1]![0]);
      expect(xy[i]![1]).toBeLessThan(xy[i - 1]![1]);
    }
    expect(html).toContain('The 4 samples');
  });

  it('has no script and nothing inline: no <script>, no <style>, no style= or on…= attributes', async () => {
    const { html } = await page(`/caches/${squid}`);
    expect(html).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
    const refs = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1] as string);
    expect(refs.filter((r) => !r.startsWith('/') && r !== 'data:,')).toEqual([]);
    expect(refs).toContain('/');
  });

  it('says what is missing for a cache whose agent sends no Squid figures and that the server never checked', async () => {
    const { html } = await page(`/caches/${quiet}`);
    expect(field(html, 'request-rate')).toBe('not sent by its agent');
    expect(field(html, 'client-count')).toBe('not sent by its agent');
    expect(html).toContain('id="verification-history-empty"');
    // One sample: a dot, and the caption in the singular.
    expect(html).toContain('class="chart-dot"');
    expect(html).toContain('1 sample (one per 30 s at most)');
  });

  it('says "no samples yet" when the history has none', async () => {
    server.history.load.drop(quiet);
    const { html } = await page(`/caches/${quiet}`);
    expect(html).toContain('id="load-chart-empty"');
    expect(html).toContain('No samples yet');
    expect(html).not.toContain('<polyline');
  });

  it('answers an id that names no listed cache with a 404 page, and a malformed one with a 400 page', async () => {
    const missing = await page('/caches/no-such-cache');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^text\/html/);
    expect(missing.html).toContain('No cache with id no-such-cache is listed');
    const bad = await page('/caches/bad%3Cid%3E');
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('That is not a cache id');
    expect(bad.html).not.toContain('<id>');
  });
});

describe('cache page under --base-path', () => {
  let server: TestServer;
  afterAll(async () => server?.stop());

  it('is at <base>/caches/<id>, and links back to <base>/ and its JSON under <base>', async () => {
    server = await startTestServer({ amqp: false, flags: { basePath: '/shoal' } });
    const id = await addCache(server, { hostname: 'squid.uvic.test', public_ip: PLACES.victoria, external_ip: undefined });
    expect((await server.app.request(`/caches/${id}`)).status).toBe(404);
    const response = await server.app.request(`/shoal/caches/${encodeURIComponent(id)}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<a id="back" class="back" href="/shoal/">');
    expect(html).toContain(`href="/shoal/api/v1/caches/${id}"`);
    expect(html).toMatch(/<link rel="stylesheet" href="\/shoal\/status\/assets\/status\.css\?v=/);
  });
});
