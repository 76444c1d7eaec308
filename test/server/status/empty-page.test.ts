import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCache, PLACES, startAppServer } from '../../support/app.js';
import type { TestServer } from '../../support/server.js';

/** The page with no cache, then one: what it says must read right (no "1 caches", no empty table). */
describe('status page with no cache, then one', () => {
  let server: TestServer;
  const page = async (path = '/') => (await server.app.request(path)).text();
  const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

  beforeAll(async () => {
    server = await startAppServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('says how caches register instead of showing an empty table', async () => {
    const html = await page();
    expect(html).toContain('id="empty-state"');
    expect(html).not.toContain('id="cache-table"');
    const words = text(html);
    expect(words).toContain('0 caches yet.');
    expect(words).toContain('shoal-agent');
    expect(words).toContain('--feed');
    expect(words).toContain('docs/install.md');
    expect(html).toContain('href="/api/v1/caches"');
    expect(words).toContain('No cache to show yet');
    // The live parts the script swaps in say the same.
    expect(await page('/status/live')).toContain('id="empty-state"');
  });

  it('says "1 cache", shows no pager for one page, and gives the cache a reason and a page link', async () => {
    const id = await addCache(server, { hostname: 'squid.cern.test', external_ip: PLACES.cern });
    const html = await page();
    const words = text(html);
    expect(words).toContain('1 cache:');
    expect(words).toContain('1 cache, sorted by hostname ascending.');
    expect(words).not.toMatch(/\b1 caches\b/);
    expect(words).not.toContain('showing 1–1');
    expect(html).not.toContain('class="pager"');
    expect(words).toContain('checked by neither its agent nor the server');
    expect(html).toContain(`href="/caches/${id}"`);
    expect(html.match(new RegExp(`href="/caches/${id}"`, 'g'))).toHaveLength(3); // row, card, marker
  });
});
