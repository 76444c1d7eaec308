import { Hono } from 'hono';
import type { ServerDeps } from '../deps.js';

/** `/readyz`: 200 when the server can answer well (broker connected, GeoIP loaded), else 503 saying what is missing. */
export function createReadyRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  app.get('/readyz', (c) => {
    const amqp = deps.amqpState ? deps.amqpState() : 'disabled';
    const geoipBuilt = deps.geoip.builtAt();
    const checks = {
      amqp: { ok: amqp === 'connected' || amqp === 'disabled', state: amqp },
      geoip: { ok: Number.isFinite(geoipBuilt) && geoipBuilt > 0, path: deps.geoip.path(), built: geoipBuilt > 0 ? new Date(geoipBuilt).toISOString() : null },
    };
    const ready = Object.values(checks).every((check) => check.ok);
    c.header('Cache-Control', 'no-store');
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });
  return app;
}
