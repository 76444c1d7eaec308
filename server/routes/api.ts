import { Hono } from 'hono';
import { z } from 'zod';
import { badParameters } from '../errors.js';
import { resolveCaller } from '../caller.js';
import type { ServerDeps } from '../deps.js';
import { cacheView, callerView, rankedView } from '../views.js';

const coordinate = (min: number, max: number) => z.coerce.number().min(min).max(max);

export const NearestQuerySchema = z
  .object({
    count: z.coerce.number().int('must be a whole number').min(1).max(100).optional(),
    ip: z.string().max(64).optional(),
    lat: coordinate(-90, 90).optional(),
    lon: coordinate(-180, 180).optional(),
    upstream: z.enum(['cvmfs', 'frontier', 'any']).default('any'),
    type: z.enum(['squid', 'varnish', 'any']).default('any'),
    verified: z.enum(['true', 'false']).default('false'),
  })
  .strict()
  .refine((q) => (q.lat === undefined) === (q.lon === undefined), { message: 'lat and lon go together', path: ['lat'] });

export type NearestQuery = z.infer<typeof NearestQuerySchema>;

/** The clean JSON API: `/api/v1/nearest`, `/api/v1/caches`. */
export function createApiRoutes(deps: ServerDeps): Hono {
  const app = new Hono();

  app.get('/nearest', (c) => {
    const parsed = NearestQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw badParameters(parsed.error);
    const q = parsed.data;
    const started = performance.now();
    const caller = resolveCaller(c, deps, q);
    const result = deps.lookup.nearest({
      caller,
      count: q.count ?? deps.defaultCount,
      upstream: q.upstream,
      type: q.type,
      verifiedOnly: q.verified === 'true',
    });
    deps.metrics.lookupSeconds.observe({ route: 'api_nearest' }, (performance.now() - started) / 1000);
    deps.metrics.lookups.inc({ route: 'api_nearest', outcome: result.caches.length > 0 ? 'found' : 'empty' });
    const now = deps.clock.now();
    c.header('Cache-Control', 'private, max-age=30');
    c.header('Vary', 'X-Forwarded-For');
    return c.json({ caller: callerView(result.caller), note: result.note, caches: result.caches.map((r) => rankedView(r, now)) });
  });

  app.get('/caches', (c) => {
    const now = deps.clock.now();
    const caches = [...deps.registry.snapshot()].sort((a, b) => a.heartbeat.hostname.localeCompare(b.heartbeat.hostname));
    c.header('Cache-Control', 'public, max-age=15');
    return c.json({ count: caches.length, caches: caches.map((e) => cacheView(e, now)) });
  });

  return app;
}
