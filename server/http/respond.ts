import type { Metrics } from '../metrics.js';
import { PAC_CONTENT_TYPE } from '../render/pac.js';
import { fastResponse } from './fast-response.js';

/**
 * What every lookup route records, in one place so the routes cannot drift apart: the time from the
 * request to its ranked caches (`shoal_lookup_duration_seconds{route}`; `startedMs` from
 * `performance.now()`, null for a route that ranks nothing) and how it went
 * (`shoal_lookups_total{route,outcome}`: `found`, `degraded` when some cache was offered only because
 * nothing else was left, `empty`). Call it after the lookup, before rendering.
 */
export function recordLookup(metrics: Metrics, route: string, startedMs: number | null, found: number, degraded: boolean): void {
  if (startedMs !== null) metrics.lookupSeconds.observe({ route }, (performance.now() - startedMs) / 1000);
  metrics.lookups.inc({ route, outcome: found > 0 ? (degraded ? 'degraded' : 'found') : 'empty' });
}

/** A PAC response: the content type PAC clients expect, an exact Content-Length, per-caller caching only. */
export function pacResponse(body: string): Response {
  // Names lower-case and sorted: see fast-response.ts.
  return fastResponse(body, {
    'cache-control': 'private, max-age=60',
    'content-length': String(Buffer.byteLength(body)),
    'content-type': PAC_CONTENT_TYPE,
    vary: 'X-Forwarded-For',
  });
}
