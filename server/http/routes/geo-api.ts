import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { haversineKm, type LatLon } from '../../geo/sphere.js';
import { resolveCaller } from '../../lookup/caller.js';
import type { ServerDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { createRememberedParse, parseInput } from '../parse.js';
import type { NameLocator } from '../../geo/name-positions.js';
import { fastResponse, wireHeaders } from '../fast-response.js';

/** The CVMFS client's marker between Stratum-1 names and backup proxies in one list. */
const PROXY_SEPARATOR = '+PXYSEP+';
const NAME = /^[0-9a-zA-Z.:_-]{1,255}$/;
const MAX_SERVERS = 100;
/** An order from the client's position is the URL's alone (proxies may share it); from the caller's, the caller's. */
const FOR_ANYONE = wireHeaders({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'public, max-age=3600' });
const PER_CALLER = wireHeaders({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'private, max-age=3600', Vary: 'X-Forwarded-For' });

/** The path's parts; `servers` is read by ServerListSchema. */
const GeoPathSchema = z.object({
  repo: z.string().min(1).max(255).regex(/^[0-9a-zA-Z._-]+$/, { error: 'must be a repository name' }),
  client: z.string().regex(NAME, { error: 'must be a host name, an address, or another caching string of letters, digits and .:_-' }),
  servers: z.string(),
});

/**
 * `servers` split into its names (and the proxies after `+PXYSEP+`, if any). Parsed once per list: a
 * repository's clients all send the same list, each with its own `<client>`.
 */
const ServerListSchema = z.object({
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
  const order: number[] = [];
  const distance: number[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    distance.push(p ? haversineKm(origin, p) : 0);
    if (p) order.push(i);
  }
  const known = order.length;
  order.sort((a, b) => (distance[a] as number) - (distance[b] as number) || a - b);
  for (let i = 0; i < points.length; i++) if (!points[i]) order.push(i);
  return { order, known };
}

/**
 * `/cvmfs/<repo>/api/v1.0/geo/<client>/<server1,server2,...>`, as Stratum-1s answer it: the 1-based
 * order of the servers from nearest to farthest, e.g. `2,1,3`. `<client>` is a caching string,
 * usually the client's proxy: when it is an address or name we can place, the order is from there
 * (so the answer depends only on the URL and proxies may share it); otherwise from the caller.
 * Positions come from the name cache (name-positions.ts): when every name is known there, the answer is
 * made without a promise; only a name still waiting for DNS makes the handler wait.
 */
export function createGeoApiRoutes(deps: ServerDeps & { names: NameLocator }): Hono {
  const app = new Hono();
  const serverList = createRememberedParse(ServerListSchema, 'path');

  const originOf = (c: Context, client: LatLon | null): LatLon => {
    if (client) return client;
    const caller = resolveCaller(c, deps, {});
    if (caller.latitude !== null && caller.longitude !== null) return { latitude: caller.latitude, longitude: caller.longitude };
    throw new ApiError('bad_request', 'remote addr not found in database', 'client');
  };

  /** The answer, once every server's position is known (`points` in the order of `servers`). */
  const answer = (c: Context, origin: LatLon, fromClient: boolean, servers: readonly string[], points: readonly (LatLon | null)[]): Response => {
    const sep = servers.indexOf(PROXY_SEPARATOR);
    let order: number[];
    let known: number;
    if (sep === -1) {
      ({ order, known } = geoOrder(origin, points));
    } else {
      // As the Stratum-1s do: sort the proxies from the client, then the servers from the nearest proxy.
      const proxyPoints = points.slice(sep + 1);
      const p = geoOrder(origin, proxyPoints);
      const nearestProxy = p.known > 0 ? proxyPoints[p.order[0] as number] : null;
      const h = geoOrder(nearestProxy ?? origin, points.slice(0, sep));
      order = [...h.order, ...p.order.map((i) => sep + 1 + i), sep];
      known = h.known + p.known;
    }
    if (known === 0) throw new ApiError('bad_request', 'no server addr found in database', 'servers');

    deps.metrics.lookups.inc({ route: 'cvmfs_geo', outcome: 'found' });
    let body = '';
    for (let i = 0; i < order.length; i++) body += i === 0 ? `${(order[i] as number) + 1}` : `,${(order[i] as number) + 1}`;
    return fastResponse(`${body}\n`, fromClient ? FOR_ANYONE : PER_CALLER);
  };

  // The separator is no name: it is placed nowhere, and keeps its index in `points`.
  const place = (servers: readonly string[]) => deps.names.knownAll(servers);
  const placeLater = (servers: readonly string[]) => Promise.all(servers.map((n) => (n === PROXY_SEPARATOR ? null : deps.names.locate(n))));

  app.get('/cvmfs/:repo/api/v1.0/geo/:client/:servers', (c): Response | Promise<Response> => {
    const path = parseInput(GeoPathSchema, c.req.param(), 'path');
    const { client } = path;
    const { servers } = serverList(path.servers, () => ({ servers: path.servers }));
    const clientNow = deps.names.known(client);
    if (clientNow !== undefined) {
      const origin = originOf(c, clientNow);
      const points = place(servers);
      if (points) return answer(c, origin, clientNow !== null, servers, points);
      return placeLater(servers).then((p) => answer(c, origin, clientNow !== null, servers, p));
    }
    return deps.names.locate(client).then(async (at) => {
      const origin = originOf(c, at);
      return answer(c, origin, at !== null, servers, place(servers) ?? (await placeLater(servers)));
    });
  });
  return app;
}
