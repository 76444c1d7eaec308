import { asciiJson } from './ascii-json.js';
import type { ServerDeps } from '../http/deps.js';
import type { Caller, LookupQuery } from '../lookup/nearest.js';
import { fastResponse } from '../http/fast-response.js';
import { pacBody } from './pac.js';

export const PAC_CONTENT_TYPE = 'application/x-ns-proxy-autoconfig';

/** The PAC file for one caller: a lookup per upstream, so each kind of URL gets caches that serve it. */
export function pacForCaller(
  deps: Pick<ServerDeps, 'lookup' | 'pacDirect'>,
  caller: Caller,
  query: Pick<LookupQuery, 'count' | 'type' | 'verifiedOnly' | 'upstream'> & { loadbalance: boolean },
): { body: string; found: number } {
  const proxies = (upstream: 'cvmfs' | 'frontier') =>
    query.upstream === 'any' || query.upstream === upstream
      ? deps.lookup.nearest({ caller, count: query.count, type: query.type, verifiedOnly: query.verifiedOnly, upstream }).caches.map((r) => ({
          host: r.host,
          port: r.entry.heartbeat.cachePort,
        }))
      : [];
  const cvmfs = proxies('cvmfs');
  const frontier = proxies('frontier');
  // The city as \uXXXX escapes where it is not ASCII: the whole file then takes Node's fast path (see ascii-json.ts).
  const where = caller.locatedBy === 'unknown' ? 'location unknown' : `located by ${caller.locatedBy}${caller.geo?.city ? ` (${asciiJson(caller.geo.city)})` : ''}`;
  const body = pacBody(
    { cvmfs, frontier },
    { direct: deps.pacDirect, loadbalance: query.loadbalance, comment: `for ${caller.ip ?? 'an unknown address'}, ${where}` },
  );
  return { body, found: cvmfs.length + frontier.length };
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
