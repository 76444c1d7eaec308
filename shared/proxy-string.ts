/** Proxy URL and CVMFS/Frontier proxy-string formatting. Pure. */

/** `http://host:port/`-less form CVMFS expects, with IPv6 literals bracketed. */
export function proxyUrl(host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

export interface CvmfsProxyOptions {
  /** Where `DIRECT` goes: as the last fail-over group, or nowhere. */
  direct: 'last' | 'never';
}

/**
 * `CVMFS_HTTP_PROXY` value: groups in fail-over order separated by `;`, proxies inside one group
 * load-balanced with `|`. Duplicates (same URL) keep their first place; empty groups are dropped.
 */
export function formatCvmfsProxy(groups: readonly (readonly string[])[], options: CvmfsProxyOptions = { direct: 'last' }): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const group of groups) {
    const members = group.filter((url) => url !== 'DIRECT' && !seen.has(url));
    for (const m of members) seen.add(m);
    if (members.length > 0) parts.push(members.join('|'));
  }
  if (options.direct === 'last' || parts.length === 0) parts.push('DIRECT');
  return parts.join(';');
}

/** `(proxyurl=http://a:3128)(proxyurl=http://b:3128)` as Frontier's FRONTIER_SERVER expects. */
export function formatFrontierProxies(urls: readonly string[]): string {
  return [...new Set(urls)].map((url) => `(proxyurl=${url})`).join('');
}
