import { Hono, type Context, type ErrorHandler } from 'hono';
import { createErrorHandler, ApiError } from './errors.js';
import type { ServerDeps } from './deps.js';
import { createApiRoutes } from './routes/api.js';
import { createHealthRoutes } from './routes/health.js';
import { createLegacyRoutes } from './routes/legacy.js';
import { createPacRoutes } from './routes/pac.js';
import { createMetricsRoutes } from './routes/metrics.js';
import { createExportRoutes } from './routes/export.js';
import { createGeoApiRoutes } from './routes/geo-api.js';
import { createAdminRoutes } from './routes/admin.js';
import { createNameLocator } from '../geo/name-positions.js';
import { openApiDocument } from './openapi.js';
import { createStatusRoutes } from './routes/status.js';
import { requestLimits } from './request-limits.js';

/**
 * The HTTP app: every route, the error handler. Never listens: start.ts serves it. Async only because the
 * bench routes are loaded when asked for (`--bench-route`), so a production server never carries them.
 */
export async function createHttpApp(deps: ServerDeps): Promise<Hono> {
  const app = new Hono();
  const log = deps.logger.child({ component: 'http' });

  app.use(async (c, next) => {
    // Nothing is measured or built for the log line unless it will be written (this runs on every request).
    if (!log.isLevelEnabled('debug')) return next();
    const started = performance.now();
    await next();
    log.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round((performance.now() - started) * 100) / 100 }, 'request');
  });

  app.use(requestLimits());
  app.route('/', createHealthRoutes(deps));
  app.route('/', createMetricsRoutes(deps));
  if (deps.benchRoute) {
    const { createBenchRoutes } = await import('./routes/bench.js');
    app.route('/bench', createBenchRoutes(deps));
  }
  app.route('/api/v1', createApiRoutes(deps));
  app.route('/api/v1/export', createExportRoutes(deps));
  if (deps.adminToken) {
    app.route('/api/v1/admin', createAdminRoutes({ token: deps.adminToken, registry: deps.registry, drains: deps.drains, metrics: deps.metrics, logger: deps.logger, clock: deps.clock }));
  }
  const openapi = openApiDocument({ adminEnabled: Boolean(deps.adminToken), basePath: deps.basePath });
  app.get('/openapi.json', (c) => c.json(openapi, 200, { 'Cache-Control': 'public, max-age=3600' }));
  const names = createNameLocator({ geoip: deps.geoip, registry: deps.registry, clock: deps.clock });
  app.route('/', createGeoApiRoutes({ ...deps, names }));
  app.route('/', createLegacyRoutes(deps));
  app.route('/', createPacRoutes(deps));
  app.route('/', createStatusRoutes(deps));

  const notFound = (c: Context): never => {
    throw new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`);
  };
  const onError = createErrorHandler(log);
  app.notFound(notFound);
  app.onError(onError);
  return deps.basePath ? underBasePath(app, deps.basePath, notFound, onError) : app;
}

/**
 * Every route of `app` under `base` (`/shoal`: `/shoal/`, `/shoal/api/v1/nearest`, `/shoal/wpad.dat`...),
 * nothing outside it. Mounted at `base` + '/' so the status page is `/shoal/`, as a proxy forwarding
 * `/shoal/` asks for it; `/shoal` alone is sent there, as Apache and nginx do for a directory.
 */
function underBasePath(app: Hono, base: string, notFound: (c: Context) => never, onError: ErrorHandler): Hono {
  const outer = new Hono();
  outer.get(base, (c) => {
    const url = c.req.url;
    const mark = url.indexOf('?');
    return c.redirect(`${base}/${mark === -1 ? '' : url.slice(mark)}`, 301);
  });
  outer.route(`${base}/`, app);
  outer.notFound(notFound);
  outer.onError(onError);
  return outer;
}
