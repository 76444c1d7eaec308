import { Hono } from 'hono';
import { z } from 'zod';
import { haversineKm, type LatLon } from '../../geo/sphere.js';
import { resolveCaller } from '../../lookup/caller.js';
import type { ServerDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { parseInput } from '../parse.js';
import type { NameLocator } from '../../geo/name-positions.js';

/** The CVMFS client's marker between Stratum-1 names and backup proxies in one list. */
const PROXY_SEPARATOR = '+PXYSEP+';
const NAME = /^[0-9a-zA-Z.:_-]{1,255}$/;
const MAX_SERVERS = 100;

/** The path's parts; `servers` is split into its names (and the proxies after `+PXYSEP+`, if any). */
const GeoPathSchema = z.object({
  repo: z.string().min(1).max(255).regex(/^[0-9a-zA-Z._-]+$/, { error: 'must be a repository name' }),
  client: z.string().regex(NAME, { error: 'must be a host name, an address, or another caching string of letters, digits and .:_-' }),
  servers: z
    .string()
    .transform((s) => s.split(','))
    .superRefine((list, ctx) => {
      if (list.length > MAX_SERVERS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_SERVERS} servers` });
      const bad = list.find((n) => n !== PROXY_SEPARATOR && !NAME.test(n));
      if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(bad)} is not a host name or address` });
    }),
});

/** Indexes of `points` by distance from `origin`, nearest first; unknown positions last, in their given order. */
export function geoOrder(origin: LatLon, points: readonly (LatLon | null)[]): { order: number[]; known: number } {
  const known = points.flatMap((p, i) => (p ? [{ i, d: haversineKm(origin, p) }] : [])).sort((a, b) => a.d - b.d || a.i - b.i);
  const unknown = points.flatMap((p, i) => (p ? [] : [i]));
  return { order: [...known.map((k) => k.i), ...unknown], known: known.length };
}

/**
 * `/cvmfs/<repo>/api/v1.0/geo/<client>/<server1,server2,...>`, as Stratum-1s answer it: the 1-based
 * order of the servers from nearest to farthest, e.g. `2,1,3`. `<client>` is a caching string,
 * usually the client's proxy: when it is an address or name we can place, the order is from there
 * (so the answer depends only on the URL and proxies may share it); otherwise from the caller.
 */
export function createGeoApiRoutes(deps: ServerDeps & { names: NameLocator }): Hono {
  const app = new Hono();
  app.get('/cvmfs/:repo/api/v1.0/geo/:client/:servers', async (c) => {
    const { client, servers } = parseInput(GeoPathSchema, c.req.param(), 'path');

    let origin = await deps.names.locate(client);
    const fromClient = origin !== null;
    if (!origin) {
      const caller = resolveCaller(c, deps, {});
      origin = caller.latitude !== null && caller.longitude !== null ? { latitude: caller.latitude, longitude: caller.longitude } : null;
    }
    if (!origin) throw new ApiError('bad_request', 'remote addr not found in database', 'client');

    const sep = servers.indexOf(PROXY_SEPARATOR);
    const hosts = sep === -1 ? servers : servers.slice(0, sep);
    const proxies = sep === -1 ? [] : servers.slice(sep + 1);
    const locate = (names: readonly string[]) => Promise.all(names.map((n) => deps.names.locate(n)));

    let order: number[];
    let known: number;
    if (sep === -1) {
      ({ order, known } = geoOrder(origin, await locate(hosts)));
    } else {
      // As the Stratum-1s do: sort the proxies from the client, then the servers from the nearest proxy.
      const proxyPoints = await locate(proxies);
      const p = geoOrder(origin, proxyPoints);
      const nearestProxy = p.known > 0 ? proxyPoints[p.order[0] as number] : null;
      const h = geoOrder(nearestProxy ?? origin, await locate(hosts));
      order = [...h.order, ...p.order.map((i) => sep + 1 + i), sep];
      known = h.known + p.known;
    }
    if (known === 0) throw new ApiError('bad_request', 'no server addr found in database', 'servers');

    deps.metrics.lookups.inc({ route: 'cvmfs_geo', outcome: 'found' });
    return c.body(`${order.map((i) => i + 1).join(',')}\n`, 200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': fromClient ? 'public, max-age=3600' : 'private, max-age=3600',
      ...(fromClient ? {} : { Vary: 'X-Forwarded-For' }),
    });
  });
  return app;
}
