import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCache, PLACES, startAppServer } from '../support/app.js';
import { chromiumAvailable, launchChromium } from '../support/browser.js';
import { BIN, runProgram } from '../support/processes.js';
import { waitFor, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp.js';

const chromium = await chromiumAvailable();
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/**
 * The status page at a phone's, a laptop's and a wide screen's width, with caches as they crowd real maps:
 * two at one spot at CERN, Lyon next door, a Frontier-only cache beside Tokyo, one failing, one with a long
 * site name, one drifting clock, and enough others for a second page.
 */
const CACHES: Record<string, Record<string, unknown>> = {
  cernA: { hostname: 'squid1.cern.test', latitude: 46.23, longitude: 6.05, site: 'CERN-PROD', verified: true, load: 40_000 },
  cernB: { hostname: 'squid2.cern.test', latitude: 46.23, longitude: 6.05, site: 'CERN-PROD', verified: true, load: 90_000 },
  lyon: { hostname: 'squid.in2p3.test', latitude: 45.78, longitude: 4.87, site: 'IN2P3-CC', load: 20_000 },
  fnal: { hostname: 'squid.fnal.test', latitude: 41.84, longitude: -88.26, status: 'failing', status_reason: 'test URL answered 503', load: 30_000 },
  uvic: { hostname: 'squid.uvic.test', latitude: 48.46, longitude: -123.31, site: 'CA-VICTORIA-WESTGRID-T2', verified: true, load: 10_000 },
  tokyoFrontier: { hostname: 'frontier.tokyo.test', latitude: 35.71, longitude: 139.76, upstream: 'frontier', verified: true, load: 1_000 },
  tokyo: { hostname: 'squid.tokyo.test', latitude: 35.6, longitude: 139.6, upstream: 'cvmfs', verified: true, load: 30_000 },
  kek: { hostname: 'squid.kek.test', latitude: 36.15, longitude: 140.08, verified: true, load: 60_000 },
  ihep: { hostname: 'squid.ihep.test', latitude: 39.9, longitude: 116.4, load: 5_000 },
  anu: { hostname: 'squid.anu.test', latitude: -35.28, longitude: 149.12, verified: true, load: 2_000 },
  ral: { hostname: 'varnish.ral.test', latitude: 51.57, longitude: -1.31, cache_type: 'varnish', cache_port: '6081', verified: true, load: 64_000 },
  drift: { hostname: 'squid.desy.test', latitude: 53.57, longitude: 9.88, verified: true, load: 15_000, driftS: 40 },
};
// Enough others, spread over the Americas, for a pager at 25 rows.
for (let i = 0; i < 16; i++) CACHES[`us${i}`] = { hostname: `squid${i}.us-site${i}.test`, latitude: 30 + (i % 8) * 2.5, longitude: -120 + i * 3.1, site: `US-SITE-${i}`, load: 3_000 * i };

const WIDTHS = [390, 1024, 1400] as const;
const CALLER = PLACES.tokyo;

describe.runIf(chromium)('status page layout at 390, 1,024 and 1,400 px', () => {
  const ids: Record<string, string> = {};
  let server: TestServer;
  let browser: Browser;
  let forwarder: Server;
  let forwarderUrl = '';
  const asked: string[] = [];

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    // Believes X-Forwarded-For from loopback: the client's requests go through a relay that names the caller.
    server = await startAppServer({ trustedProxies: '127.0.0.1' });
    for (const [name, fields] of Object.entries(CACHES)) {
      const { driftS, ...hb } = fields as { driftS?: number };
      ids[name] = await addCache(server, { uuid: `layout${name}`, cache_port: '3128', public_ip: '192.0.2.10', external_ip: undefined, private_ip: undefined, ...hb, ...(driftS ? { timestamp: server.clock.now() / 1000 - driftS } : {}) });
    }
    forwarder = createServer((req, res) => {
      asked.push(req.url ?? '/');
      void fetch(`${server.url}${req.url ?? '/'}`, { headers: { 'x-forwarded-for': CALLER, accept: req.headers.accept ?? '*/*' } }).then(async (r) => {
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await r.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
    forwarderUrl = `http://127.0.0.1:${(forwarder.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (forwarder ? forwarder.close(() => resolve()) : resolve()));
    await server?.stop();
  });

  async function open(width: number, options: { javaScript?: boolean; path?: string } = {}): Promise<{ page: Page; close: () => Promise<void>; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: 'light', javaScriptEnabled: options.javaScript ?? true, hasTouch: width < 700 });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${server.url}${options.path ?? '/?per=25'}`);
    return { page, errors, close: () => context.close() };
  }

  /**
   * Runs a function (source text) in the page with JSON arguments: this Node project compiles without the
   * DOM's types, so what runs in the browser is written as text.
   */
  const inPage = <T>(page: Page, fn: string, ...args: unknown[]) => page.evaluate(`(${fn})(${args.map((a) => JSON.stringify(a)).join(', ')})`) as Promise<T>;

  /** Horizontal overflow of the page itself: nothing may stick out sideways. */
  const pageOverflow = (page: Page) => page.evaluate('document.scrollingElement.scrollWidth - window.innerWidth') as Promise<number>;

  describe.each(WIDTHS)('at %d px', (width) => {
    it('has no sideways overflow, cuts no table cell and keeps the header in view; cards on a phone', async () => {
      const { page, close, errors } = await open(width);
      try {
        expect(await pageOverflow(page)).toBeLessThanOrEqual(0);
        const tableShown = await page.locator('#cache-table').isVisible();
        const cardsShown = await page.locator('#cache-cards').isVisible();
        expect(tableShown).toBe(width >= 700);
        expect(cardsShown).toBe(width < 700);
        if (tableShown) {
          // Every cell either fits the scroll box, or the box scrolls to it; and no cell's text overflows the cell.
          const report = (await inPage(page, `(() => {
            const box = document.querySelector('.table-scroll');
            const b = box.getBoundingClientRect();
            const cells = [...box.querySelectorAll('th, td')];
            const cut = cells.filter((c) => { const r = c.getBoundingClientRect(); return r.left < b.left - 0.5 || r.right > b.right + 0.5; }).length;
            const clipped = cells.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent);
            return { cut, clipped, scrolls: box.scrollWidth > box.clientWidth, overflowX: getComputedStyle(box).overflowX, cells: cells.length };
          })`)) as { cut: number; clipped: string[]; scrolls: boolean; overflowX: string; cells: number };
          expect(report.cells).toBeGreaterThan(100);
          expect(report.clipped).toEqual([]);
          if (report.cut > 0) {
            expect(report.scrolls).toBe(true);
            expect(['auto', 'scroll']).toContain(report.overflowX);
            // Scrolled to its end, the last column is whole, and the hostname column stays at the left.
            const end = (await inPage(page, `(() => {
              const box = document.querySelector('.table-scroll');
              box.scrollLeft = box.scrollWidth;
              const b = box.getBoundingClientRect();
              const last = box.querySelector('thead th:last-child').getBoundingClientRect();
              const host = box.querySelector('tbody th.host').getBoundingClientRect();
              return { lastRight: last.right, boxRight: b.right, hostLeft: host.left, boxLeft: b.left };
            })`)) as { lastRight: number; boxRight: number; hostLeft: number; boxLeft: number };
            expect(end.lastRight).toBeLessThanOrEqual(end.boxRight + 0.5);
            expect(Math.abs(end.hostLeft - end.boxLeft)).toBeLessThan(2);
          }
          // Scrolled down inside its box, the header row stays at the box's top.
          const sticky = (await inPage(page, `(() => {
            const box = document.querySelector('.table-scroll');
            box.scrollTop = box.scrollHeight;
            return { scrolled: box.scrollTop, headTop: box.querySelector('thead th').getBoundingClientRect().top, boxTop: box.getBoundingClientRect().top };
          })`)) as { scrolled: number; headTop: number; boxTop: number };
          expect(sticky.scrolled).toBeGreaterThan(0);
          expect(Math.abs(sticky.headTop - sticky.boxTop)).toBeLessThan(2);
        } else {
          // One card per row of the page, each inside the screen, hostname, state, load and reason on it.
          const cards = page.locator('#cache-cards li.card[data-id]');
          expect(await cards.count()).toBe(25);
          const boxes = (await inPage(page, `(() => [...document.querySelectorAll('#cache-cards li.card[data-id]')].map((c) => { const r = c.getBoundingClientRect(); return { left: r.left, right: r.right, overflow: c.scrollWidth - c.clientWidth }; }))`)) as { left: number; right: number; overflow: number }[];
          for (const b of boxes) {
            expect(b.left).toBeGreaterThanOrEqual(0);
            expect(b.right).toBeLessThanOrEqual(width);
            expect(b.overflow).toBeLessThanOrEqual(0);
          }
          const card = page.locator(`#cache-cards li[data-id="${ids.cernB}"]`);
          await expect(card.locator('a.host').textContent()).resolves.toBe('squid2.cern.test:3128');
          await expect(card.locator('.badge.verified').isVisible()).resolves.toBe(true);
          await expect(card.locator('meter').isVisible()).resolves.toBe(true);
          await expect(card.textContent()).resolves.toContain('46.23, 6.05 · CERN-PROD');
          await expect(card.textContent()).resolves.toContain('both');
        }
        // The pager wraps between its items, never inside one ("« First" on one line).
        const pager = (await inPage(page, `(() => [...document.querySelector('.pager').children].map((c) => ({ text: c.textContent, height: c.getBoundingClientRect().height, line: parseFloat(getComputedStyle(c).lineHeight) })))`)) as {
          text: string;
          height: number;
          line: number;
        }[];
        expect(pager.map((p) => p.text)).toEqual(['« First', '‹ Previous', 'Page 1 of 2', 'Next ›', 'Last »']);
        for (const item of pager) expect(item.height, item.text).toBeLessThan(item.line * 1.5);
        await page.screenshot({ path: `${ARTIFACTS}status-layout-${width}.png`, fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });

    it("shows a failing cache's reason, and every other state's, without hovering", async () => {
      const { page, close } = await open(width, { path: '/?sort=state&dir=desc&per=25' });
      try {
        const scope = width < 700 ? `#cache-cards li[data-id="${ids.fnal}"]` : `#cache-table tr[data-id="${ids.fnal}"]`;
        const reason = page.locator(`${scope} .reason`);
        await reason.scrollIntoViewIfNeeded();
        expect(await reason.isVisible()).toBe(true);
        expect(await reason.textContent()).toBe("agent's self-check: test URL answered 503");
        await expect(page.locator(`${scope} .offer-note`).textContent()).resolves.toBe('offered only when nothing else is left');
        const other = width < 700 ? '#cache-cards li.card' : '#cache-table tbody tr';
        const reasons = await inPage<boolean[]>(page, `((selector) => [...document.querySelectorAll(selector)].map((e) => e.getBoundingClientRect().height > 0 && e.textContent.length > 0))`, `${other} .reason`);
        expect(reasons).toHaveLength(25);
        expect(reasons.every(Boolean)).toBe(true);
        // The drifting clock says so in words, too.
        await page.goto(`${server.url}/?q=desy`);
        const driftScope = width < 700 ? '#cache-cards li.card' : '#cache-table tbody tr';
        const driftNote = page.locator(`${driftScope} .drift-note`);
        expect(await driftNote.isVisible()).toBe(true);
        expect(await driftNote.textContent()).toMatch(/^last heartbeat stamped 40\.0 s before the server received it/);
      } finally {
        await close();
      }
    });
  });

  it('groups the caches of one region on the map, server-side, and expands a group on click', async () => {
    const { page, close, errors } = await open(1400);
    try {
      // String callbacks: this Node project compiles without the DOM's types.
      const groupOf = (id: string) =>
        inPage<string[] | null>(page, `((id) => [...document.querySelectorAll('#clusters .cluster')].map((g) => g.getAttribute('data-ids').split(' ').sort()).find((m) => m.includes(id)) ?? null)`, id);
      const europe = [ids.cernA, ids.cernB, ids.lyon].sort();
      expect(await groupOf(ids.cernA as string)).toEqual(expect.arrayContaining(europe));
      // Its caches are hidden under the badge, which says how many.
      expect(await page.locator(`a.pin[data-id="${ids.lyon}"]`).isVisible()).toBe(false);
      const badge = page.locator(`#clusters .cluster[data-ids~="${ids.lyon}"]`);
      expect(await badge.locator('text').textContent()).toBe(String((await groupOf(ids.lyon as string))?.length));
      // First click: the map zooms in on the group; Lyon stands apart, the two caches on one spot still share a badge.
      await badge.click();
      await waitFor(async () => Number(await page.getAttribute('#map', 'data-zoom')) > 1 && (await page.locator(`a.pin[data-id="${ids.lyon}"]`).isVisible()), { what: 'the zoom on Europe' });
      expect(await groupOf(ids.cernA as string)).toEqual([ids.cernA, ids.cernB].sort());
      // Second click: no zoom parts caches on one spot, so they spread around it.
      await page.locator(`#clusters .cluster[data-ids~="${ids.cernA}"]`).click();
      await waitFor(async () => (await page.locator(`a.pin[data-id="${ids.cernA}"]`).isVisible()) && (await page.locator(`a.pin[data-id="${ids.cernB}"]`).isVisible()), { what: 'the spread pins' });
      const centre = async (id: string) => {
        const b = await page.locator(`circle.marker[data-id="${id}"]`).boundingBox();
        return { x: (b?.x ?? 0) + (b?.width ?? 0) / 2, y: (b?.y ?? 0) + (b?.height ?? 0) / 2, w: b?.width ?? 0 };
      };
      const [a, b] = [await centre(ids.cernA as string), await centre(ids.cernB as string)];
      expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThan((a.w + b.w) / 2);
      await page.screenshot({ path: `${ARTIFACTS}status-map-spread.png` });
      // The pins link to each cache's own page.
      expect(await page.getAttribute(`a.pin[data-id="${ids.cernA}"]`, 'href')).toBe(`/caches/${ids.cernA}`);
      // The whole world again (keyboard: the reset button): the server's groups come back, as the server drew them.
      await page.focus('#zoom-reset');
      await page.keyboard.press('Enter');
      await waitFor(async () => (await page.getAttribute('#map', 'data-zoom')) === '1.000' && (await groupOf(ids.lyon as string)) !== null, { what: 'the world view' });
      const fresh = await (await fetch(`${server.url}/status/live?per=25`)).text();
      const serverGroups = [...fresh.matchAll(/data-ids="([^"]+)"/g)].map((m) => (m[1] as string).split(' ').sort().join(' ')).sort();
      const pageGroups = (await inPage<string[]>(page, `(() => [...document.querySelectorAll('#clusters .cluster')].map((g) => g.getAttribute('data-ids').split(' ').sort().join(' ')))`)).sort();
      expect(pageGroups).toEqual(serverGroups);
      // Zoom buttons, keys and the wheel all zoom; markers keep their size on the screen.
      const before = (await page.locator(`circle.marker[data-id="${ids.anu}"]`).boundingBox())?.width ?? 0;
      await page.click('#zoom-in');
      await waitFor(async () => (await page.getAttribute('#map', 'data-zoom')) === '2.000', { what: 'zoom 2' });
      await page.focus('#map');
      await page.keyboard.press('+');
      await waitFor(async () => (await page.getAttribute('#map', 'data-zoom')) === '4.000', { what: 'zoom 4' });
      const viewBox = await page.getAttribute('#map', 'viewBox');
      await page.keyboard.press('ArrowLeft');
      expect(await page.getAttribute('#map', 'viewBox')).not.toBe(viewBox);
      await page.keyboard.press('0');
      const box = await page.locator('#map').boundingBox();
      await page.mouse.move((box?.x ?? 0) + (box?.width ?? 0) / 2, (box?.y ?? 0) + (box?.height ?? 0) / 2);
      await page.mouse.wheel(0, -400);
      await waitFor(async () => Number(await page.getAttribute('#map', 'data-zoom')) > 1.5, { what: 'the wheel zoom' });
      const after = (await page.locator(`circle.marker[data-id="${ids.anu}"]`).boundingBox())?.width ?? 0;
      expect(Math.abs(after - before)).toBeLessThan(1);
      // Not focused and no Ctrl: the wheel scrolls the page past the map, and a hint says how to zoom.
      await page.focus('#zoom-reset');
      await page.keyboard.press('Enter');
      await waitFor(async () => (await page.getAttribute('#map', 'data-zoom')) === '1.000', { what: 'the world view' });
      const overMap = async () => {
        const b = await page.locator('#map').boundingBox();
        await page.mouse.move((b?.x ?? 0) + (b?.width ?? 0) / 2, (b?.y ?? 0) + (b?.height ?? 0) / 3);
      };
      await overMap();
      await page.mouse.wheel(0, 200);
      await waitFor(async () => (await inPage<number>(page, '(() => window.scrollY)')) > 0, { what: 'the page to scroll' });
      expect(await page.getAttribute('#map', 'data-zoom')).toBe('1.000');
      expect(await page.locator('#map-hint').isVisible()).toBe(true);
      // With Ctrl held (what a trackpad's pinch sends too), the same wheel zooms.
      await overMap();
      await page.keyboard.down('Control');
      await page.mouse.wheel(0, -400);
      await page.keyboard.up('Control');
      await waitFor(async () => Number(await page.getAttribute('#map', 'data-zoom')) > 1.5, { what: 'the Ctrl-wheel zoom' });
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('groups the map without JavaScript too: a badge per group, with the caches it holds in its tooltip', async () => {
    const { page, close } = await open(390, { javaScript: false });
    try {
      const title = await page.locator(`#clusters .cluster[data-ids~="${ids.lyon}"] > title`).textContent();
      expect(title).toMatch(/^\d+ caches here \(/);
      expect(title).toContain('squid.in2p3.test');
      expect(await page.locator('#map-tools').isVisible()).toBe(false);
      expect(await page.locator('#cache-cards').isVisible()).toBe(true);
      expect(await pageOverflow(page)).toBeLessThanOrEqual(0);
    } finally {
      await close();
    }
  });

  it('lists, for upstream CVMFS, the caches shoal-client --dump writes for the same caller, in its order', async () => {
    const work = await makeTempDir('shoal-layout-client-');
    const args = ['--server', forwarderUrl, '--no-verify', '--discovery-time', '0', '--start-delay', '0', '--apply', 'never', '--state-file', join(work, 'last-good.json'), '--cvmfs-config', join(work, 'default.local')];
    asked.length = 0;
    const dump = await runProgram(BIN.client, [...args, '--dump']);
    expect(dump.code, dump.stderr).toBe(0);
    const decision = JSON.parse((await runProgram(BIN.client, [...args, '--dump', '--json'])).stdout) as { value: string; answer: { caches: { id: string; proxy: string }[] } };
    expect(decision.value).toBe(dump.stdout.trim());
    const idOfProxy = new Map(decision.answer.caches.map((c) => [c.proxy, c.id]));
    const written = dump.stdout.trim().split(';').filter((m) => m !== 'DIRECT');
    expect(written).toHaveLength(3);
    const clientIds = written.map((proxy) => idOfProxy.get(proxy));
    // Beside Tokyo, but Frontier only: never written into CVMFS_HTTP_PROXY.
    expect(clientIds).not.toContain(ids.tokyoFrontier);
    expect(asked[0]).toBe('/api/v1/nearest?count=8&upstream=cvmfs');

    const { page, close, errors } = await open(1024);
    try {
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      expect(await page.inputValue('#try-upstream')).toBe('cvmfs');
      await page.fill('#try-input', CALLER);
      await page.press('#try-input', 'Enter');
      await page.locator('#try-written li[data-id]').first().waitFor();
      const listed = await inPage<[string, string][]>(page, `(() => [...document.querySelectorAll('#try-written li[data-id]')].map((i) => [i.getAttribute('data-id'), i.getAttribute('data-proxy')]))`);
      expect(listed.map(([id]) => id)).toEqual(clientIds);
      expect(listed.map(([, proxy]) => proxy)).toEqual(written);
      expect(requests.find((u) => u.includes('/api/v1/nearest?'))).toBe(`${server.url}/api/v1/nearest?ip=${CALLER}&count=8&upstream=cvmfs`);
      // The same answer as JSON, CVMFS string and PAC, one click away.
      const cvmfs = await (await fetch(new URL((await page.getAttribute('#try-link-cvmfs', 'href')) as string, server.url))).text();
      expect(cvmfs.trim()).toBe(dump.stdout.trim());
      const json = await (await fetch(new URL((await page.getAttribute('#try-link-json', 'href')) as string, server.url))).json();
      expect((json as { caches: { id: string }[] }).caches.slice(0, 3).map((c) => c.id)).toEqual(clientIds);
      const pac = await (await fetch(new URL((await page.getAttribute('#try-link-pac', 'href')) as string, server.url))).text();
      expect(pac).toContain('function FindProxyForURL');
      for (const proxy of written) expect(pac).toContain(proxy.replace('http://', ''));
      expect(await page.getAttribute('#try-link-wpad', 'href')).toBe(`/wpad.dat?ip=${CALLER}`);
      // Upstream "any" is another question: the Frontier-only cache next door comes first there.
      await page.selectOption('#try-upstream', 'any');
      await waitFor(async () => (await page.locator('#try-written li[data-id]').first().getAttribute('data-id')) === ids.tokyoFrontier, { what: 'the any-upstream answer' });
      await page.screenshot({ path: `${ARTIFACTS}status-try-box.png` });
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});
