import { Hono, type Context } from 'hono';
import { compress } from 'hono/compress';
import { html } from 'hono/html';
import type { ServerDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { parseInput } from '../parse.js';
import { loadStatusAssets, type AssetName } from '../../status/assets.js';
import { LiveParts, StatusPage, type StatusView } from '../../status/page.js';
import { StatusQuerySchema, selectPage, summarise, toStatusRow } from '../../status/table-model.js';
import { createWorldMap } from '../../status/world-map.js';
import { geoIpAge } from '../../geo/geoip.js';
import { createCachePageRoutes } from './cache-page.js';

/** Seconds between the page's own refreshes. */
export const STATUS_REFRESH_SECONDS = 15;

/** Everything is served from this origin; nothing inline, nothing from elsewhere. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

/**
 * The status page: `GET /` (the whole page, server-rendered, the table usable without JavaScript),
 * `GET /status/live` (the parts that change, for the page's script) and `/status/assets/*`.
 * It reads the same registry snapshot as `/api/v1/caches`; its "try an address" box calls `/api/v1/nearest`.
 */
export function createStatusRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  // Projected once, on the first page asked for (see createWorldMap): a request only places markers.
  const map = createWorldMap();
  const assets = loadStatusAssets();
  // Every URL the page writes starts with --base-path ('' or '/shoal'): behind a proxy at /shoal/ it is the page's own.
  const base = deps.basePath;
  const assetUrl = (name: AssetName) => `${base}/status/assets/${name}?v=${assets[name].hash}`;
  const defaultMaxLoad = deps.defaultMaxLoad;

  const buildView = (c: Context): StatusView => {
    // Never a 400: the page's schema reads a bad parameter as its default.
    const query = parseInput(StatusQuerySchema, c.req.query(), 'query');
    const nowMs = deps.clock.now();
    const isDrained = deps.drains.has;
    const rows = deps.registry.snapshot().map((e) => toStatusRow(e, nowMs, defaultMaxLoad, isDrained));
    return {
      map,
      rows,
      summary: summarise(rows),
      page: selectPage(rows, query),
      query,
      nowMs,
      refreshSeconds: STATUS_REFRESH_SECONDS,
      assets: { script: assetUrl('status.js'), style: assetUrl('status.css') },
      basePath: base,
      geoip: geoIpAge(deps.geoip.builtAt(), nowMs, deps.geoipStaleDays),
    };
  };

  const pageHeaders = (c: Context) => {
    c.header('Cache-Control', 'no-cache');
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
  };

  // Per route, not app.use: mounted at '/', a wildcard middleware would also reach the API and legacy
  // routes. With 5,000 caches the page is about 1 MB of markers and compresses about tenfold.
  const compressed = compress();

  app.get('/', compressed, (c) => {
    pageHeaders(c);
    return c.html(html`<!DOCTYPE html>${(<StatusPage view={buildView(c)} />)}`);
  });

  app.get('/status/live', compressed, (c) => {
    pageHeaders(c);
    return c.html(<LiveParts view={buildView(c)} />);
  });

  app.get('/status/assets/:name', compressed, (c) => {
    const name = c.req.param('name');
    if (!Object.hasOwn(assets, name)) throw new ApiError('not_found', `no asset ${name}`);
    const asset = assets[name as AssetName];
    c.header('Content-Type', asset.contentType);
    c.header('X-Content-Type-Options', 'nosniff');
    // A URL carrying the current hash never changes meaning; any other is revalidated.
    c.header('Cache-Control', c.req.query('v') === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
    return c.body(asset.body);
  });

  // Each cache's own page, under the same headers and stylesheet.
  app.route('/', createCachePageRoutes(deps, { stylesheet: assetUrl('status.css'), headers: pageHeaders }));

  return app;
}
