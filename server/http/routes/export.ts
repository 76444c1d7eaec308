import { Hono } from 'hono';
import type { ServerDeps } from '../deps.js';
import { CachesQuerySchema } from '../api-schemas.js';
import { parseInput } from '../parse.js';
import { wlcgWpadExport } from '../../render/wlcg-wpad.js';

/** `/api/v1/export/wlcg-wpad`: `{ "<hostname>": { public_ip, private_ip, city, country_code } }` for WLCG WPAD. */
export function createExportRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  app.get('/wlcg-wpad', (c) => {
    parseInput(CachesQuerySchema, c.req.query(), 'query'); // it takes none: any parameter is a 400
    const snapshot = deps.registry.snapshot();
    const out = wlcgWpadExport(snapshot, { defaultMaxLoad: deps.defaultMaxLoad, isDrained: deps.drains.has, sites: deps.locality.index(snapshot) });
    c.header('Cache-Control', 'public, max-age=60');
    return c.json(out);
  });
  return app;
}
