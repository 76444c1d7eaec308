/**
 * Proxy lists as plain text, for scripts and configuration files: `/api/v1/nearest?format=cvmfs` (one
 * `CVMFS_HTTP_PROXY` string, each cache its own fail-over group), `format=frontier` (a Frontier
 * `(proxyurl=...)` string) and `format=text` (one proxy URL a line). Each member is the address the
 * caller was given (`RankedCache.host`) and the cache's port, checked again by shared/proxy-string.ts. Pure.
 */

import { formatCvmfsProxy, formatFrontierProxies, proxyUrl } from '../../shared/proxy-string.js';
import type { RankedCache } from '../lookup/nearest.js';

export type ListFormat = 'cvmfs' | 'frontier' | 'text';

/** The body of one list answer, ending in a newline. */
export function listBody(format: ListFormat, caches: readonly RankedCache[]): string {
  const urls = caches.map((r) => proxyUrl(r.host, r.entry.heartbeat.cachePort));
  if (format === 'cvmfs') return `${formatCvmfsProxy(urls.map((u) => [u]))}\n`;
  if (format === 'frontier') return `${formatFrontierProxies(urls)}\n`;
  return urls.map((u) => `${u}\n`).join('');
}
