import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCache, PLACES } from '../support/app.js';
import { chromiumAvailable, launchChromium } from '../support/browser.js';
import { createManualClock } from '../support/clock.js';
import { startTestServer, type TestServer } from '../support/server.js';

const chromium = await chromiumAvailable();

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** The viewports of the issue: a phone, a small laptop, a wide screen. */
const WIDTHS = [390, 1024, 1400] as const;

/**
 * One cache's page in a real Chromium: a cache with an hour's worth of heartbeats (the manual clock moves
 * 30 s between them), the server's checks of it, and a long hostname and reason to test the narrow layout.
 */
describe.runIf(chromium)('cache page in Chromium', () => {
  const clock = createManualClock(Date.UTC(2026, 0, 1, 12));
  let server: TestServer;
  let browser: Browser;
  let busy: string;
  const pageErrors: string[] = [];

  const fields = {
    hostname: 'squid-frontier-and-cvmfs-01.computing-centre.cern.test',
    public_ip: PLACES.cern,
    external_ip: undefined,
    site: 'cern',
    max_load: '122000',
    status: 'failing',
    status_reason: 'test URL http://cvmfs-stratum-one.cern.ch/cvmfs/atlas.cern.ch/.cvmfspublished answered 503 Service Unavailable',
  };

  const open = async (width: number, path: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: 'light' });
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    const response = await page.goto(`${server.url}${path}`);
    expect(response?.status()).toBe(200);
    return page;
  };

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    server = await startTestServer({ amqp: false, clock });
    busy = await addCache(server, { ...fields, load: 40_000, request_rate: 120, client_count: 30 });
    // 90 more heartbeats, 30 s apart: 45 minutes of a load that rises and falls.
    for (let i = 1; i <= 90; i++) {
      clock.advance(30_000);
      const load = Math.round(40_000 + 35_000 * Math.sin(i / 12));
      await addCache(server, { ...fields, uuid: busy, load, request_rate: 100 + i, client_count: 30 + (i % 7) });
      if (i % 30 === 0) await server.registry.setVerification(busy, { ok: i !== 60, reason: i === 60 ? 'timeout: no answer within 3000 ms' : undefined, checkedMs: clock.now() });
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it.each(WIDTHS)('at %i px: draws the chart, shows the fields, and nothing overflows sideways', async (width) => {
    const page = await open(width, `/caches/${encodeURIComponent(busy)}`);
    try {
      // The chart: a polyline of every sample, drawn with a real size.
      const points = await page.locator('#load-line').evaluate((line) => (line.getAttribute('points') ?? '').trim().split(/\s+/).length);
      expect(points).toBeGreaterThanOrEqual(2);
      expect(points).toBe(91);
      const box = await page.locator('#load-chart').boundingBox();
      expect(box?.width).toBeGreaterThan(Math.min(300, width - 80));
      expect(box?.height).toBeGreaterThan(80);
      // No horizontal scrolling of the page.
      // A string: this Node project's types have no DOM.
      const overflow = await page.evaluate<{ scroll: number; inner: number }>('({ scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth })');
      expect(overflow.scroll).toBeLessThanOrEqual(overflow.inner);
      // The fields an operator asks for, visible.
      await expect(page.locator('#cache-hostname').innerText()).resolves.toBe(fields.hostname);
      const state = await page.locator('#cache-state').innerText();
      expect(state).toContain('failing');
      expect(state).toContain('answered 503 Service Unavailable');
      for (const id of ['proxy', 'site', 'location', 'load', 'max-load', 'status', 'clock-drift', 'request-rate', 'client-count', 'last-heartbeat']) {
        expect(await page.locator(`#field-${id}`).isVisible(), `field ${id}`).toBe(true);
      }
      await expect(page.locator('#field-request-rate dd').innerText()).resolves.toBe('190 requests/s');
      await expect(page.locator('#field-location dd').innerText()).resolves.toContain('Geneva');
      await expect(page.locator('#verification-history li').count()).resolves.toBe(3);
      await expect(page.locator('#verification-history li').nth(1).innerText()).resolves.toContain('timeout');
      // The back link leads to the status page.
      expect(await page.locator('#back').getAttribute('href')).toBe('/');
      await page.screenshot({ path: `${ARTIFACTS}cache-page-${width}.png`, fullPage: true });
      await page.locator('.chart').screenshot({ path: `${ARTIFACTS}cache-page-chart-${width}.png` });
    } finally {
      await page.context().close();
    }
    expect(pageErrors).toEqual([]);
  });

  it('is reached from the status page: the hostname links to it', async () => {
    const page = await open(1400, '/');
    try {
      const link = page.locator(`a[href="/caches/${encodeURIComponent(busy)}"]`).first();
      await link.click();
      await page.waitForURL(`**/caches/${encodeURIComponent(busy)}`);
      await expect(page.locator('#cache-hostname').innerText()).resolves.toBe(fields.hostname);
    } finally {
      await page.context().close();
    }
    expect(pageErrors).toEqual([]);
  });
});
