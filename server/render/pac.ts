/**
 * PAC (proxy auto-config) files: `/wpad.dat` and `/proxy.pac` (routes/pac.ts) and
 * `/api/v1/nearest?format=pac` (routes/api.ts). The original wrote `PROXY http://host:port;` and sent
 * every URL to every cache; PAC engines expect `PROXY host:port`, and a cache serving only CVMFS should
 * not get Frontier requests, so this writes the standard form and routes by the kind of URL. Pure.
 */

import type { Port, ProxyHost } from '../../shared/identity.js';
import { pacMember } from '../../shared/proxy-string.js';
import type { Caller, RankedCache } from '../lookup/nearest.js';
import { asciiJson } from './ascii-json.js';
import type { ViewCache } from './view-cache.js';

export const PAC_CONTENT_TYPE = 'application/x-ns-proxy-autoconfig';

export interface PacProxy {
  host: ProxyHost;
  port: Port;
}

export interface PacOptions {
  /** End every proxy list with `DIRECT`, so a client goes straight to the origin when every cache is down. */
  direct: boolean;
  /** Spread URLs over the listed caches: each URL always goes to the same cache (good for hit rates). */
  loadbalance: boolean;
  /** One line saying for whom the file was made; written as a comment. */
  comment: string;
}

/** `PROXY host:port`, IPv6 literals bracketed; refuses anything but a typed host and port. */
export function pacProxy(p: PacProxy): string {
  return pacMember(p.host, p.port);
}

const list = (proxies: readonly PacProxy[]) => `[${proxies.map((p) => JSON.stringify(pacProxy(p))).join(', ')}]`;

/**
 * CVMFS-looking URLs (`.../cvmfs/...`) go to `cvmfs` caches, Frontier-looking ones (a path segment
 * starting `Frontier`/`frontier`, or a host named `*frontier*`) to `frontier` caches, anything else DIRECT.
 * An empty list answers DIRECT for its kind.
 */
export function pacBody(lists: { cvmfs: readonly PacProxy[]; frontier: readonly PacProxy[] }, options: PacOptions): string {
  return [pacHead(options.comment), pacRules(lists, options)].join('');
}

/** The file's first line: for whom it was made. */
function pacHead(comment: string): string {
  // Printable ASCII only: JavaScript also ends a line comment at U+2028/U+2029, and what follows would run.
  return `// Shoal proxy auto-config: ${comment.replace(/[^\x20-\x7e]+/g, ' ')}\n`;
}

/** Everything after the first line: the lists and the function that picks from them. */
export function pacRules(lists: { cvmfs: readonly PacProxy[]; frontier: readonly PacProxy[] }, options: Pick<PacOptions, 'direct' | 'loadbalance'>): string {
  return `// CVMFS URLs go to the nearest CVMFS caches, Frontier URLs to the nearest Frontier caches, others DIRECT.
var SHOAL_CVMFS = ${list(lists.cvmfs)};
var SHOAL_FRONTIER = ${list(lists.frontier)};
var SHOAL_LOADBALANCE = ${options.loadbalance};
var SHOAL_FALLBACK = ${JSON.stringify(options.direct ? '; DIRECT' : '')};

function shoalPick(proxies, url) {
    if (proxies.length === 0) return "DIRECT";
    var start = 0;
    if (SHOAL_LOADBALANCE) {
        var h = 0;
        for (var i = 0; i < url.length; i++) h = (h * 31 + url.charCodeAt(i)) % 1000003;
        start = h % proxies.length;
    }
    return proxies.slice(start).concat(proxies.slice(0, start)).join("; ") + SHOAL_FALLBACK;
}

function FindProxyForURL(url, host) {
    if (shExpMatch(url, "*/cvmfs/*")) return shoalPick(SHOAL_CVMFS, url);
    if (shExpMatch(url, "*/Frontier*") || shExpMatch(url, "*/frontier*") || shExpMatch(host, "*frontier*")) return shoalPick(SHOAL_FRONTIER, url);
    return "DIRECT";
}
`;
}

/** A ranked cache as a PAC proxy: the address this caller was given, and the cache's port. */
export const pacProxyOf = (r: RankedCache): PacProxy => ({ host: r.host, port: r.entry.heartbeat.cachePort });

/** Ranked caches per upstream (lookup/by-upstream.ts): what a PAC file lists. */
export interface PacLists {
  cvmfs: readonly RankedCache[];
  frontier: readonly RankedCache[];
}

/**
 * The PAC file for one caller, from its ranked caches per upstream: `pacBody` of them, the part after the
 * first line made once per pair of lists (`views.pacRules`, view-cache.ts).
 */
export function pacFile(lists: PacLists, caller: Caller, options: Pick<PacOptions, 'direct' | 'loadbalance'>, views: Pick<ViewCache, 'pacRules'>): string {
  // The city as \uXXXX escapes where it is not ASCII: the whole file then takes Node's fast path (see ascii-json.ts).
  const where = caller.locatedBy === 'unknown' ? 'location unknown' : `located by ${caller.locatedBy}${caller.geo?.city ? ` (${asciiJson(caller.geo.city)})` : ''}`;
  return [pacHead(`for ${caller.ip ?? 'an unknown address'}, ${where}`), views.pacRules(lists, options)].join('');
}
