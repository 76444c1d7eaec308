import { Hono } from 'hono';
import { asciiJson } from '../../render/ascii-json.js';
import { formatCvmfsProxy, formatFrontierProxies, proxyUrl } from '../../../shared/proxy-string.js';
import { resolveCaller } from '../../lookup/caller.js';
import { createQueryParser, parseInput } from '../parse.js';
import type { ServerDeps } from '../deps.js';
import type { LookupResult } from '../../lookup/nearest.js';
import { pacForCaller, pacResponse } from '../../render/pac-lists.js';
import { CachesQuerySchema, NearestQuerySchema, type Format } from '../api-schemas.js';
import { fastResponse, wireHeaders } from '../fast-response.js';
import { createViewCache } from '../../render/view-cache.js';
import { cacheView, callerView } from '../../render/json.js';

/** Answers depend on the caller's address: only the caller may cache them, briefly. */
const PER_CALLER = { 'Cache-Control': 'private, max-age=30', Vary: 'X-Forwarded-For' };
const TEXT_HEADERS = wireHeaders({ 'Content-Type': 'text/plain; charset=utf-8', ...PER_CALLER });
const JSON_HEADERS = wireHeaders({ 'Content-Type': 'application/json', ...PER_CALLER });

function textResponse(format: Exclude<Format, 'json' | 'pac'>, result: LookupResult): Response {
  const urls = result.caches.map((r) => proxyUrl(r.host, r.entry.heartbeat.cachePort));
  const body =
    format === 'cvmfs' ? `${formatCvmfsProxy(urls.map((u) => [u]))}\n` : format === 'frontier' ? `${formatFrontierProxies(urls)}\n` : urls.map((u) => `${u}\n`).join('');
  return fastResponse(body, TEXT_HEADERS);
}

/** The clean JSON API: `/api/v1/nearest`, `/api/v1/caches`. */
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
      const pac = pacForCaller(deps, caller, { count, upstream: q.upstream, type: q.type, verifiedOnly: q.verified, loadbalance: false });
      deps.metrics.lookups.inc({ route: 'api_nearest', outcome: pac.found > 0 ? 'found' : 'empty' });
      return pacResponse(pac.body);
    }
    const result = deps.lookup.nearest({ caller, count, upstream: q.upstream, type: q.type, verifiedOnly: q.verified });
    deps.metrics.lookupSeconds.observe({ route: 'api_nearest' }, (performance.now() - started) / 1000);
    deps.metrics.lookups.inc({ route: 'api_nearest', outcome: result.caches.length > 0 ? (result.caches.some((r) => r.degraded) ? 'degraded' : 'found') : 'empty' });
    if (q.format !== 'json') return textResponse(q.format, result);
    const now = deps.clock.now();
    // asciiJson(JSON.stringify({ caller, note, caches: result.caches.map(rankedView) })), each cache's fixed part serialised once.
    // Joined, not concatenated: see fillTemplate.
    const out = [asciiJson(`{"caller":${JSON.stringify(callerView(result.caller))},"note":${JSON.stringify(result.note)},"caches":[`)];
    result.caches.forEach((r, i) => {
      if (i > 0) out.push(',');
      views.appendRankedJson(out, r, now);
    });
    out.push(']}');
    return fastResponse(out.join(''), JSON_HEADERS);
  });

  app.get('/caches', (c) => {
    parseInput(CachesQuerySchema, c.req.query(), 'query'); // it takes none: any parameter is a 400
    const now = deps.clock.now();
    const caches = [...deps.registry.snapshot()].sort((a, b) => a.heartbeat.hostname.localeCompare(b.heartbeat.hostname));
    c.header('Cache-Control', 'public, max-age=15');
    return c.json({ count: caches.length, caches: caches.map((e) => cacheView(e, now)) });
  });

  return app;
}
