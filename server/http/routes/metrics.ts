import { Hono } from 'hono';
import type { ServerDeps } from '../deps.js';

/** `/metrics` in Prometheus text format. */
export function createMetricsRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    const body = await deps.metrics.registry.metrics();
    return c.body(body, 200, { 'Content-Type': deps.metrics.registry.contentType, 'Cache-Control': 'no-store' });
  });
  return app;
}
