import { Hono } from 'hono';
import type { ServerDeps } from '../deps.js';
import { badParameters } from '../errors.js';
import { CachesQuerySchema } from '../query.js';
import type { CacheEntry } from '../registry/types.js';

/** WLCG WPAD assumes port 3128 for every Shoal squid it reads, so only those are exported. */
const WLCG_WPAD_PORT = 3128;

/** One squid as WLCG WPAD's `shoal-squids.json` reader expects it; absent keys are left out, not null. */
export function wlcgWpadEntry(e: CacheEntry): Record<string, string> | null {
  const hb = e.heartbeat;
  const publicIp = hb.publicIp ?? hb.externalIp;
  if (!publicIp || hb.cachePort !== WLCG_WPAD_PORT || hb.access !== 'global' || hb.status !== 'ok') return null;
  const out: Record<string, string> = { public_ip: publicIp };
  if (hb.privateIp) out.private_ip = hb.privateIp;
  if (e.location?.city) out.city = e.location.city;
  if (e.location?.countryCode) out.country_code = e.location.countryCode;
  return out;
}

/** `/api/v1/export/wlcg-wpad`: `{ "<hostname>": { public_ip, private_ip, city, country_code } }` for WLCG WPAD. */
export function createExportRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  app.get('/wlcg-wpad', (c) => {
    const parsed = CachesQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw badParameters(parsed.error);
    const out: Record<string, Record<string, string>> = {};
    const entries = [...deps.registry.snapshot()].sort((a, b) => a.heartbeat.hostname.localeCompare(b.heartbeat.hostname));
    for (const e of entries) {
      const entry = wlcgWpadEntry(e);
      if (entry && !deps.drains?.has(e.id) && e.verification?.ok !== false) out[e.heartbeat.hostname] ??= entry;
    }
    c.header('Cache-Control', 'public, max-age=60');
    return c.json(out);
  });
  return app;
}
