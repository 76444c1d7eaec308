import amqp from 'amqplib';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../support/clock.js';
import { createWorldMap } from '../../server/status/world-map.js';
import { chromiumAvailable, launchChromium } from '../support/browser.js';
import { EXCHANGE_OPTIONS, HEARTBEAT_ROUTING_KEY } from '../../shared/amqp.js';
import { AMQP_URL, rabbitAvailable } from '../support/services.js';
import { originalHeartbeat, publishRaw, startTestServer, waitFor, type TestServer } from '../support/server.js';
import { createSeededRandom as seededRandom } from '../../bench/random.js';

const rabbit = await rabbitAvailable();
const chromium = await chromiumAvailable();

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Caches spread over the world, registered the real way: JSON heartbeats published to RabbitMQ. */
const CACHES: Record<string, Record<string, unknown>> = {
  uvic: { hostname: 'squid.uvic.test', external_ip: '142.104.1.1', site: 'uvic', load: 21_000 },
  tokyo: { hostname: 'squid.tokyo.test', public_ip: '133.11.0.1', external_ip: undefined, verified: true, load: 6_000 },
  cern: { hostname: 'squid.cern.test', external_ip: '188.184.1.1', latitude: 46.23, longitude: 6.05, site: 'cern', verified: true, load: 97_000, max_load: 122_000 },
  fnal: { hostname: 'squid.fnal.test', public_ip: '131.225.1.1', status: 'failing', status_reason: 'test URL answered 503', load: 30_000 },
  anu: { hostname: 'squid.anu.test', public_ip: '150.203.1.1', verified: true, load: 1_500 },
  ral: { hostname: 'varnish.ral.test', public_ip: '130.246.1.1', cache_type: 'varnish', upstream: 'frontier', verified: true, load: 64_000 },
  ou: { hostname: 'squid.ou.test', public_ip: '129.15.1.1', site: 'ou', load: 12_000 },
  rio: { hostname: 'squid.rio.test', public_ip: '200.136.1.1', load: 45_000 },
};

interface NearestBody {
  caller: { latitude: number | null; longitude: number | null };
  caches: { id: string; location: { latitude: number; longitude: number } | null }[];
}

describe.runIf(rabbit && chromium)('status page in Chromium', () => {
  const clock = createManualClock(Date.now());
  const ids: Record<string, string> = {};
  const map = createWorldMap();
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requested: string[] = [];
  const pageErrors: string[] = [];

  const heartbeat = (name: string) => originalHeartbeat({ uuid: ids[name], timestamp: clock.now() / 1000, ...CACHES[name] });
  const publish = async (names: string[]) => {
    for (const name of names) await publishRaw(server.config.exchange, JSON.stringify(heartbeat(name)));
    const now = clock.now();
    await waitFor(() => names.every((name) => server.registry.get(ids[name] as string)?.lastActiveMs === now), { what: `heartbeats of ${names.join(', ')}` });
  };
  const nearest = async (query: string) => (await (await fetch(`${server.url}/api/v1/nearest?${query}`)).json()) as NearestBody;
  const tableIds = () => page.locator('#cache-table tbody tr[data-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
  const markerIds = () => page.locator('#markers circle.marker').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-id')).sort());
  /** The caches the try box says shoal-client would write (its spares are listed apart). */
  const answerIds = () => page.locator('#try-written li[data-id]').evaluateAll((items) => items.map((i) => i.getAttribute('data-id')));
  /** The box asks as shoal-client does: its default --count (3) plus 5 spares, upstream cvmfs. */
  const CLIENT_QUERY = 'count=8&upstream=cvmfs';
  /** Where a point of the map's viewBox is on the screen. */
  const screenPoint = (x: number, y: number) =>
    page.locator('#map').evaluate(
      (svg, p) => {
        // No DOM lib in this Node project's types: the callback's argument is the page's <svg>.
        const m = svg.getScreenCTM();
        return { x: m.a * p.x + m.e, y: m.d * p.y + m.f };
      },
      { x, y },
    );

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    for (const name of Object.keys(CACHES)) ids[name] = `status${name}${Date.now()}`;
    server = await startTestServer({ clock });
    await publish(Object.keys(CACHES));
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme: 'light' });
    page = await context.newPage();
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('lists every cache registered through RabbitMQ, with a marker for each on the map', async () => {
    const expected = Object.values(ids).sort();
    expect([...(await tableIds())].sort()).toEqual(expected);
    expect(await markerIds()).toEqual(expected);
    await expect(page.locator(`#cache-table tr[data-id="${ids.uvic}"] th`).textContent()).resolves.toBe('squid.uvic.test');
    await expect(page.locator(`#cache-table tr[data-id="${ids.uvic}"]`).textContent()).resolves.toContain('Victoria, CA');
    // State colours: the agent's own failing report, its verified flag, neither.
    await expect(page.locator(`#markers circle[data-id="${ids.fnal}"]`).getAttribute('class')).resolves.toBe('marker failing');
    await expect(page.locator(`#markers circle[data-id="${ids.tokyo}"]`).getAttribute('class')).resolves.toBe('marker verified');
    await expect(page.locator(`#markers circle[data-id="${ids.uvic}"]`).getAttribute('class')).resolves.toBe('marker unverified');
    // Size by load: CERN (80% of its max) is drawn bigger than ANU (about 1%).
    const radius = (name: string) => page.locator(`#markers circle[data-id="${ids[name]}"]`).getAttribute('r').then(Number);
    expect(await radius('cern')).toBeGreaterThan(await radius('anu'));
  });

  it('shows a tooltip with hostname, site, city, load and last heartbeat over a marker', async () => {
    const marker = page.locator(`#markers circle[data-id="${ids.cern}"]`);
    await marker.hover();
    const tip = page.locator('#tooltip');
    await tip.waitFor({ state: 'visible' });
    const text = await tip.innerText();
    expect(text).toContain('squid.cern.test:3128');
    expect(text).toContain('site: cern');
    expect(text).toMatch(/load: 97\.0 MB\/s of 122\.0 MB\/s \(80%\)/);
    expect(text).toMatch(/last heartbeat: \d+ s ago/);
    await page.mouse.move(5, 5);
    // The table row and its marker go together.
    await page.hover(`#cache-table tr[data-id="${ids.tokyo}"]`);
    await expect(page.locator(`#markers circle[data-id="${ids.tokyo}"]`).getAttribute('class')).resolves.toContain('lit');
    await page.mouse.move(5, 5);
  });

  it('answers "try an address" in the same order as /api/v1/nearest?ip=, with a line to each cache', async () => {
    const api = await nearest(`ip=188.184.1.1&${CLIENT_QUERY}`);
    expect(api.caches.length).toBeGreaterThan(3);
    await page.fill('#try-input', '188.184.1.1');
    await page.press('#try-input', 'Enter');
    await page.locator('#try-result li[data-id]').first().waitFor();
    const written = api.caches.slice(0, 3).map((c) => c.id);
    expect(await answerIds()).toEqual(written);
    // The rest of the answer is listed as the client's spares, in order.
    expect(await page.locator('#try-spares li[data-id]').evaluateAll((items) => items.map((i) => i.getAttribute('data-id')))).toEqual(api.caches.slice(3).map((c) => c.id));
    // The failing cache is never offered; the caches written are marked on the map, with a line to each.
    expect(await answerIds()).not.toContain(ids.fnal);
    expect(await page.locator('#answer-lines path.answer-line').count()).toBe(written.length);
    expect(await page.locator('#markers circle.chosen').count()).toBe(written.length);
    await page.screenshot({ path: `${ARTIFACTS}status-page.png`, fullPage: true });
  });

  it('places the caller where the server projection does, and lines end at the cache markers', async () => {
    await page.fill('#try-input', '-33.9, 151.2');
    await page.click('#try-form button[type=submit]');
    await waitFor(async () => (await page.locator('#try-result .caller').textContent())?.includes('-33.90'), { what: 'the Sydney answer' });
    const expected = map.project(-33.9, 151.2);
    const origin = await page.locator('#answer-origin').evaluate((c) => ({ x: Number(c.getAttribute('cx')), y: Number(c.getAttribute('cy')) }));
    expect(origin.x).toBeCloseTo(expected!.x, 0);
    expect(origin.y).toBeCloseTo(expected!.y, 0);
    const api = await nearest(`lat=-33.9&lon=151.2&${CLIENT_QUERY}`);
    expect(await answerIds()).toEqual(api.caches.slice(0, 3).map((c) => c.id));
    expect(api.caches[0]?.id).toBe(ids.anu);
    // The best line ends at the ANU marker, which the server placed with d3.
    const end = await page.locator(`#answer-lines path[data-id="${ids.anu}"]`).evaluate((p) => {
      const d = p.getAttribute('d') ?? '';
      const last = d.split(/[ML]/).filter(Boolean).pop() ?? '';
      return last.split(',').map(Number);
    });
    const marker = await page.locator(`#markers circle[data-id="${ids.anu}"]`).evaluate((c) => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]);
    expect(end[0]).toBeCloseTo(marker[0] as number, 0);
    expect(end[1]).toBeCloseTo(marker[1] as number, 0);
  });

  it('asks for the place clicked on the map', async () => {
    const tokyo = map.project(35.7, 139.7)!;
    const at = await screenPoint(tokyo.x + 12, tokyo.y + 12); // beside the marker, on Japan
    await page.mouse.click(at.x, at.y);
    await waitFor(async () => /^3\d\.\d\d, 1[34]\d\.\d\d$/.test(await page.inputValue('#try-input')), { what: 'the clicked coordinates' });
    const [lat, lon] = (await page.inputValue('#try-input')).split(',').map(Number);
    expect(lat).toBeGreaterThan(30);
    expect(lat).toBeLessThan(36);
    expect(lon).toBeGreaterThan(139);
    expect(lon).toBeLessThan(146);
    await waitFor(async () => (await answerIds())[0] === ids.tokyo, { what: 'Tokyo first' });
  });

  it('sorts and pages the table in place, keyboard first, without reloading', async () => {
    // Expressions, not callbacks: this Node project compiles without the DOM's types.
    await page.evaluate('window.stillTheSamePage = true');
    await page.focus('#sort-load');
    await page.keyboard.press('Enter');
    await waitFor(async () => (await page.getAttribute('#cache-table th.col-load', 'aria-sort')) === 'descending', { what: 'sorted by load' });
    expect((await tableIds())[0]).toBe(ids.cern);
    expect(page.url()).toContain('sort=load');
    // Focus stays on the header the user pressed, in the new table.
    expect(await page.evaluate('document.activeElement.id')).toBe('sort-load');
    await page.selectOption('#filter select[name=state]', 'verified');
    await page.click('#filter button[type=submit]');
    await waitFor(async () => (await tableIds()).length === 4, { what: 'only verified rows' });
    expect(await page.evaluate('window.stillTheSamePage')).toBe(true);
    await page.goBack();
    await waitFor(async () => (await tableIds()).length === 8, { what: 'back to every row' });
  });

  it('drops a cache whose heartbeats stop, at the next refresh', async () => {
    clock.advance(120_000);
    await publish(Object.keys(CACHES).filter((name) => name !== 'ou'));
    clock.advance(90_000); // ou's last heartbeat is now 210 s old: past the 180 s TTL
    expect(await tableIds()).toContain(ids.ou);
    await page.click('#refresh');
    await waitFor(async () => !(await tableIds()).includes(ids.ou), { what: 'the expired row to go' });
    expect(await markerIds()).not.toContain(ids.ou);
    expect(await tableIds()).toHaveLength(7);
    await expect(page.locator('#summary').textContent()).resolves.toContain('7 caches');
  });

  it('loads nothing from anywhere but the server, and the script raised no error', () => {
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.filter((url) => !url.startsWith(server.url) && !url.startsWith('data:'))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('follows a dark system theme', async () => {
    const dark = await browser.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme: 'dark' });
    try {
      const p = await dark.newPage();
      await p.goto(server.url);
      const background = await p.evaluate('getComputedStyle(document.body).backgroundColor');
      expect(background).toBe('rgb(14, 19, 26)');
      await p.fill('#try-input', '188.184.1.1');
      await p.press('#try-input', 'Enter');
      await p.locator('#try-result li[data-id]').first().waitFor();
      await p.screenshot({ path: `${ARTIFACTS}status-page-dark.png`, fullPage: true });
    } finally {
      await dark.close();
    }
  });

  it('keeps the table usable without JavaScript: server-side sorting by links', async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    try {
      const p = await noScript.newPage();
      await p.goto(server.url);
      expect(await p.locator('#cache-table tbody tr[data-id]').count()).toBe(7);
      await p.click('#sort-port');
      await p.waitForURL(/sort=port/);
      await p.click('#sort-port'); // again: descending
      await p.waitForURL(/dir=desc/);
      expect(await p.getAttribute('#cache-table th.col-port', 'aria-sort')).toBe('descending');
      expect(await p.locator('#refresh').isVisible()).toBe(false);
    } finally {
      await noScript.close();
    }
  });
});

/** Latitude and longitude of places with research computing, for a plausible 5,000-cache map. */
const SITES = [
  [46.2, 6.1], [48.4, -123.4], [41.8, -88.3], [40.9, -72.9], [37.9, -122.2], [35.2, -97.4], [43.1, -89.4], [45.5, -73.6],
  [51.5, -0.1], [52.4, 4.9], [48.9, 2.3], [50.1, 8.7], [53.6, 10.0], [45.1, 7.7], [41.4, 2.2], [59.3, 18.1],
  [50.1, 14.4], [52.2, 21.0], [55.7, 37.6], [35.7, 139.7], [36.1, 140.1], [37.5, 127.0], [25.0, 121.5], [31.2, 121.5],
  [1.3, 103.8], [-33.9, 151.2], [-37.8, 145.0], [-23.5, -46.6], [-33.4, -70.6], [19.4, -99.1], [-33.9, 18.4], [28.6, 77.2],
  [32.1, 34.8], [60.2, 24.9], [-41.3, 174.8], [39.9, 116.4],
] as const;

describe.runIf(rabbit && chromium)('status page with 5,000 caches', () => {
  const COUNT = 5000;
  const clock = createManualClock(Date.now());
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ clock });
    // One connection and confirm channel for all of them (publishRaw opens one per message).
    const conn = await amqp.connect(AMQP_URL);
    try {
      const channel = await conn.createConfirmChannel();
      await channel.assertExchange(server.config.exchange, 'topic', EXCHANGE_OPTIONS);
      const random = seededRandom(8);
      // Clustered around research sites, as real caches are: a few degrees of scatter, denser at the centre.
      const scatter = (degrees: number) => (random() + random() - 1) * degrees;
      for (let i = 0; i < COUNT; i++) {
        const [lat, lon] = SITES[i % SITES.length] as [number, number];
        const hb = originalHeartbeat({
          uuid: `bulk${i}`,
          hostname: `squid${i}.site${i % 97}.test`,
          site: `site${i % 97}`,
          external_ip: undefined,
          latitude: Math.max(-89, Math.min(89, lat + scatter(6))),
          longitude: ((lon + scatter(9) + 540) % 360) - 180,
          load: Math.round(random() * random() * 110_000),
          verified: random() < 0.6,
          ...(random() < 0.03 ? { status: 'failing' } : {}),
          timestamp: clock.now() / 1000,
        });
        channel.publish(server.config.exchange, HEARTBEAT_ROUTING_KEY, Buffer.from(JSON.stringify(hb)), { contentType: 'application/json' });
      }
      await channel.waitForConfirms();
    } finally {
      await conn.close();
    }
    await waitFor(() => server.registry.snapshot().length === COUNT, { what: `${COUNT} caches`, timeoutMs: 30_000 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows every marker but only one page of rows, and pages and filters in place', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      expect(await page.locator('#markers circle.marker').count()).toBe(COUNT);
      expect(await page.locator('#cache-table tbody tr').count()).toBe(50);
      await expect(page.locator('.pager').textContent()).resolves.toContain('Page 1 of 100');
      await page.screenshot({ path: `${ARTIFACTS}status-page-5000.png` });
      await page.click('#page-next');
      await waitFor(async () => (await page.locator('.pager').textContent())?.includes('Page 2 of 100'), { what: 'page 2' });
      await page.fill('#filter input[name=q]', 'site4.');
      await page.press('#filter input[name=q]', 'Enter');
      await waitFor(async () => (await page.locator('#cache-table caption').textContent())?.includes('(52 match the filter)'), { what: 'the filter' });
      expect(await page.locator('#cache-table tbody tr').count()).toBe(50);
    } finally {
      await context.close();
    }
  });
});
