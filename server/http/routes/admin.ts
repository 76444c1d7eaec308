import { Hono, type Context } from 'hono';
import type { Clock } from '../../../shared/clock.js';
import type { Logger } from '../../../shared/logger.js';
import type { DrainList } from '../../registry/drains.js';
import { CacheIdParamSchema } from '../api-schemas.js';
import { ApiError } from '../errors.js';
import type { Metrics } from '../../metrics.js';
import type { Registry } from '../../registry/types.js';
import { parseInput } from '../parse.js';
import { safeEqual } from '../safe-equal.js';
import { adminCacheView } from '../../render/json.js';

/** Compares bearer tokens in constant time (server/http/safe-equal.ts, shared with any other secret check). */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  return given !== undefined && safeEqual(given, expected);
}

/**
 * `/api/v1/admin`: list caches with their verification detail, remove or drain a cache. Mounted only when
 * an admin token is configured.
 * Removing drops the entry now (an agent still beating re-joins on its next heartbeat);
 * draining keeps it listed but never offered, until undrained.
 */
export function createAdminRoutes(deps: { token: string; registry: Registry; drains: DrainList; metrics: Metrics; logger: Logger; clock: Clock }): Hono {
  const app = new Hono();
  const log = deps.logger.child({ component: 'admin' });

  app.use(async (c, next) => {
    const header = c.req.header('authorization');
    const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (!tokenMatches(match?.[1], deps.token)) {
      c.header('WWW-Authenticate', 'Bearer realm="shoal-admin"');
      throw new ApiError('unauthorized', 'a valid admin bearer token is required (Authorization: Bearer <token>)');
    }
    c.header('Cache-Control', 'no-store');
    await next();
  });

  const idOf = (c: Context) => parseInput(CacheIdParamSchema, c.req.param(), 'path').id;

  app.get('/drains', (c) => c.json({ draining: deps.drains.ids() }));

  // Every cache with what the server's check saw (URL and reason), which the public views reduce to a class.
  app.get('/caches', (c) => {
    const now = deps.clock.now();
    const caches = deps.registry.snapshot();
    return c.json({ count: caches.length, caches: caches.map((e) => adminCacheView(e, now)) });
  });

  app.get('/caches/:id', (c) => {
    const id = idOf(c);
    const entry = deps.registry.get(id);
    if (!entry) throw new ApiError('not_found', `no cache with id ${id}`, 'id');
    return c.json(adminCacheView(entry, deps.clock.now()));
  });

  app.delete('/caches/:id', async (c) => {
    const id = idOf(c);
    const removed = await deps.registry.remove(id);
    if (!removed) throw new ApiError('not_found', `no cache with id ${id}`, 'id');
    deps.metrics.cacheEvents.inc({ event: 'removed' });
    log.info({ id, hostname: removed.heartbeat.hostname }, 'cache removed by an operator');
    return c.json({ id, removed: true });
  });

  app.post('/caches/:id/drain', (c) => {
    const id = idOf(c);
    if (!deps.registry.get(id)) throw new ApiError('not_found', `no cache with id ${id}`, 'id');
    deps.drains.drain(id);
    log.info({ id }, 'cache draining');
    return c.json({ id, draining: true });
  });

  app.delete('/caches/:id/drain', (c) => {
    const id = idOf(c);
    if (!deps.drains.undrain(id)) throw new ApiError('not_found', `cache ${id} is not draining`, 'id');
    log.info({ id }, 'cache no longer draining');
    return c.json({ id, draining: false });
  });

  return app;
}
