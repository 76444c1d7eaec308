import { Hono } from 'hono';
import type { ServerDeps } from '../deps.js';
import { CachesQuerySchema } from '../api-schemas.js';
import { parseInput } from '../parse.js';
import { verificationAllows } from '../../model/cache.js';
import { wlcgWpadExport } from '../../render/wlcg-wpad.js';

/** `/api/v1/export/wlcg-wpad`: `{ "<hostname>": { public_ip, private_ip, city, country_code } }` for WLCG WPAD. */
export function createExportRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  app.get('/wlcg-wpad', (c) => {
    parseInput(CachesQuerySchema, c.req.query(), 'query'); // it takes none: any parameter is a 400
    const out = wlcgWpadExport(deps.registry.snapshot(), (e) => !deps.drains.has(e.id) && verificationAllows(e, false));
    c.header('Cache-Control', 'public, max-age=60');
    return c.json(out);
  });
  return app;
}
