import { Hono } from 'hono';

/**
 * `/bench/bare`: a fixed small JSON body through the same app, middleware and HTTP stack as the lookups,
 * so `npm run bench` can report lookup throughput as a fraction of what this server does per request
 * anyway. Mounted only with `--bench-route`; `/healthz` is not used as the baseline because its cost may
 * grow (readiness checks against Redis or the broker) and it is not a fixed body.
 */
export function createBenchRoutes(): Hono {
  const app = new Hono();
  app.get('/bare', (c) => c.json({ status: 'ok', route: 'bare' }));
  return app;
}
