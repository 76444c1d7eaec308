import { Hono } from 'hono';
import { resolveCaller } from '../../lookup/caller.js';
import type { ServerDeps } from '../deps.js';
import { fastResponse, wireHeaders } from '../fast-response.js';

/**
 * Routes for `npm run bench`, mounted only with `--bench-route`.
 *
 * `/bench/bare`: a fixed small JSON body through the same app, middleware and HTTP stack as the lookups,
 * so the bench can report lookup throughput as a fraction of what this server does per request anyway.
 * `/healthz` is not used as the baseline because its cost may grow (readiness checks against Redis or the
 * broker) and it is not a fixed body.
 *
 * `/bench/caller`: the same small body after finding the caller as every lookup must (its address through
 * trusted proxies, GeoIP, site networks). What it loses against bare is the part of any lookup's cost that
 * no ranking or serialisation work can remove.
 *
 * `/bench/caller-answer`: the same, then a fixed JSON body the size of `/api/v1/nearest`'s answer (five
 * caches, ~4.8 KB) with its headers: the most that lookup can reach when its own work costs nothing.
 */
export function createBenchRoutes(deps: Pick<ServerDeps, 'lookup' | 'trustedProxies'>): Hono {
  const app = new Hono();
  app.get('/bare', (c) => c.json({ status: 'ok', route: 'bare' }));
  app.get('/caller', (c) => c.json({ status: 'ok', route: 'caller', located_by: resolveCaller(c, deps, {}).locatedBy }));
  const answer = fixedAnswer();
  app.get('/caller-answer', (c) => {
    resolveCaller(c, deps, {});
    return fastResponse(answer, ANSWER_HEADERS);
  });
  return app;
}

const ANSWER_HEADERS = wireHeaders({ 'Content-Type': 'application/json', 'Cache-Control': 'private, max-age=30', Vary: 'X-Forwarded-For' });

/** A body shaped and sized as `/api/v1/nearest`'s five-cache answer; always the same text. */
function fixedAnswer(): string {
  const cache = (i: number) => ({
    id: `00000000-0000-4000-8000-00000000000${i}`,
    hostname: `squid-${i}.bench.example.org`,
    port: 3128,
    proxy: `http://squid-${i}.bench.example.org:3128`,
    about: 'x'.repeat(780),
    score: 0.123456,
  });
  return JSON.stringify({ caller: { ip: '192.0.2.1', located_by: 'geoip', latitude: 1.5, longitude: 2.5 }, note: null, caches: [0, 1, 2, 3, 4].map(cache) });
}
