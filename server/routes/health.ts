import { Hono } from 'hono';
import type { ServerDeps } from '../deps.js';

/** `/healthz`: the process answers. */
export function createHealthRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) =>
    c.json({ status: 'ok', caches: deps.registry.snapshot().length, amqp: deps.amqpState ? deps.amqpState() : 'disabled' }),
  );
  return app;
}
