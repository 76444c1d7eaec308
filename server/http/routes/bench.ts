import { Hono } from 'hono';
import { resolveCaller } from '../../lookup/caller.js';
import type { ServerDeps } from '../deps.js';

/**
 * Routes for `npm run bench`, mounted only with `--bench-route`.
 *
 * `/bench/bare`: a fixed small JSON body through the same app, middleware and HTTP stack as the lookups,
 * so the bench can report lookup throughput as a fraction of what this server does per request anyway.
 * `/healthz` is not used as the baseline because its cost may grow (readiness checks against Redis or the
 * broker) and it is not a fixed body.
 *
 * `/bench/caller`: the same small body after finding the caller as every lookup must (its address through
 * trusted proxies, GeoIP, site networks). What it loses against bare is the part of any lookup's cost that
 * no ranking or serialisation work can remove.
 */
export function createBenchRoutes(deps: Pick<ServerDeps, 'lookup' | 'trustedProxies'>): Hono {
  const app = new Hono();
  app.get('/bare', (c) => c.json({ status: 'ok', route: 'bare' }));
  app.get('/caller', (c) => c.json({ status: 'ok', route: 'caller', located_by: resolveCaller(c, deps, {}).locatedBy }));
  return app;
}
