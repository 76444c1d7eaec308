import { Hono } from 'hono';
import { createErrorHandler, ApiError } from './errors.js';
import type { ServerDeps } from './deps.js';
import { createApiRoutes } from './routes/api.js';
import { createHealthRoutes } from './routes/health.js';
import { createLegacyRoutes } from './routes/legacy.js';

/** The HTTP app. Never listens: main (or a test) serves it. */
export function createServer(deps: ServerDeps): Hono {
  const app = new Hono();
  const log = deps.logger.child({ component: 'http' });

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    log.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round((performance.now() - started) * 100) / 100 }, 'request');
  });

  app.route('/', createHealthRoutes(deps));
  app.route('/api/v1', createApiRoutes(deps));
  app.route('/', createLegacyRoutes(deps));

  app.notFound((c) => {
    throw new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`);
  });
  app.onError(createErrorHandler(log));
  return app;
}
