import { Hono } from 'hono';
import { resolveCaller } from '../../lookup/caller.js';
import { createQueryParser, parseInput } from '../parse.js';
import type { ServerDeps } from '../deps.js';
import { nearestByUpstream } from '../../lookup/by-upstream.js';
import { listBody } from '../../render/lists.js';
import { pacFile } from '../../render/pac.js';
import { CacheIdParamSchema, CachesQuerySchema, NearestQuerySchema } from '../api-schemas.js';
import { ApiError } from '../errors.js';
import { cacheDetailView } from '../../render/cache-detail.js';
import { fastResponse, wireHeaders } from '../fast-response.js';
import { createViewCache } from '../../render/view-cache.js';
import { cacheListView, nearestJson } from '../../render/json.js';
import { pacResponse, recordLookup } from '../respond.js';
import { refusesUnknownCaller, unknownCallerPacError } from '../unknown-caller.js';

/** Answers depend on the caller's address: only the caller may cache them, briefly. */
const PER_CALLER = { 'Cache-Control': 'private, max-age=30', Vary: 'X-Forwarded-For' };
const TEXT_HEADERS = wireHeaders({ 'Content-Type': 'text/plain; charset=utf-8', ...PER_CALLER });
const JSON_HEADERS = wireHeaders({ 'Content-Type': 'application/json', ...PER_CALLER });

/** The clean JSON API: `/api/v1/nearest`, `/api/v1/caches`, `/api/v1/caches/<id>`. */
export function createApiRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  const views = createViewCache();

  const nearestQuery = createQueryParser(NearestQuerySchema);

  app.get('/nearest', (c) => {
    const q = nearestQuery(c);
    const started = performance.now();
    const caller = resolveCaller(c, deps, q);
    const count = q.count ?? deps.defaultCount;
    if (q.format === 'pac') {
      // A PAC file, so as /wpad.dat answers it (--unknown-caller): CVMFS then tries its next PAC URL.
      if (refusesUnknownCaller(deps.unknownCaller, caller)) {
        recordLookup(deps.metrics, 'api_nearest', started, 0, false);
        throw unknownCallerPacError(caller, q.ip !== undefined);
      }
      const lists = nearestByUpstream(deps.lookup, caller, { count, upstream: q.upstream, type: q.type, verifiedOnly: q.verified });
      // As before, a PAC answer is found or empty, never degraded (the answers issue may change that).
      recordLookup(deps.metrics, 'api_nearest', started, lists.cvmfs.length + lists.frontier.length, false);
      return pacResponse(pacFile(lists, caller, { direct: deps.pacDirect, loadbalance: false }, views));
    }
    const result = deps.lookup.nearest({ caller, count, upstream: q.upstream, type: q.type, verifiedOnly: q.verified });
    recordLookup(deps.metrics, 'api_nearest', started, result.caches.length, result.caches.some((r) => r.degraded));
    if (q.format !== 'json') return fastResponse(listBody(q.format, result.caches), TEXT_HEADERS);
    return fastResponse(nearestJson(result, deps.clock.now(), views, deps.warming()), JSON_HEADERS);
  });

  app.get('/caches', (c) => {
    parseInput(CachesQuerySchema, c.req.query(), 'query'); // it takes none: any parameter is a 400
    c.header('Cache-Control', 'public, max-age=15');
    return c.json(cacheListView(deps.registry.snapshot(), deps.clock.now()));
  });

  // One cache with its recent history (this process's: registry/cache-history.ts).
  app.get('/caches/:id', (c) => {
    const { id } = parseInput(CacheIdParamSchema, c.req.param(), 'path');
    parseInput(CachesQuerySchema, c.req.query(), 'query');
    const entry = deps.registry.get(id);
    if (!entry) throw new ApiError('not_found', `no cache with id ${id}`, 'id');
    c.header('Cache-Control', 'public, max-age=15');
    return c.json(cacheDetailView(entry, deps.history, deps.clock.now()));
  });

  return app;
}
