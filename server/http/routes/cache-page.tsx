import { Hono, type Context } from 'hono';
import { compress } from 'hono/compress';
import { html } from 'hono/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ServerDeps } from '../deps.js';
import { CacheIdParamSchema } from '../api-schemas.js';
import { cacheDetailView } from '../../render/cache-detail.js';
import { CachePage, NoCachePage } from '../../status/cache-page.js';
import { toStatusRow } from '../../status/table-model.js';

/**
 * `GET /caches/<id>`: one cache's page, linked from the status page's table and map. Server-rendered with
 * no script, under the status page's Content-Security-Policy and stylesheet (`headers`, `stylesheet`);
 * it reads what `/api/v1/caches/<id>` answers (cacheDetailView) and the row the status table shows.
 */
export function createCachePageRoutes(deps: ServerDeps, page: { stylesheet: string; headers: (c: Context) => void }): Hono {
  const app = new Hono();
  const base = deps.basePath;

  const noCache = (c: Context, status: ContentfulStatusCode, message: string) => {
    page.headers(c);
    return c.html(html`<!DOCTYPE html>${(<NoCachePage message={message} basePath={base} stylesheet={page.stylesheet} />)}`, status);
  };

  app.get('/caches/:id', compress(), (c) => {
    // Validated as the API validates it; a person gets a page, not the JSON error.
    const parsed = CacheIdParamSchema.safeParse(c.req.param());
    if (!parsed.success) return noCache(c, 400, 'That is not a cache id: an id is the agent’s uuid (letters, digits, “_”, “-”, “.”, “:”; at most 128).');
    const entry = deps.registry.get(parsed.data.id);
    if (!entry) return noCache(c, 404, `No cache with id ${parsed.data.id} is listed: it may have left (goodbye, or no heartbeat within the cache TTL).`);
    const nowMs = deps.clock.now();
    const history = deps.history;
    page.headers(c);
    const view = {
      detail: cacheDetailView(entry, history, nowMs),
      row: toStatusRow(entry, nowMs, deps.defaultMaxLoad, deps.drains.has),
      samples: history.load.samples(entry.id),
      nowMs,
      windowMs: history.load.windowMs,
      bucketMs: history.load.bucketMs,
      basePath: base,
      stylesheet: page.stylesheet,
    };
    return c.html(html`<!DOCTYPE html>${(<CachePage view={view} />)}`);
  });

  return app;
}
