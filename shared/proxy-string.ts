import { isIpLiteralText, isIpv6Literal, isProxyHostText, type IpLiteral, type Port, type ProxyHost } from './identity.js';

/**
 * Proxy members and CVMFS/Frontier proxy strings. Pure. A member is built only from a typed host and port,
 * and checked again here, so no encoder can emit anything but `http://name:port`, `http://[v6]:port` or
 * `PROXY name:port`: a value that is not one (a cast, a stale Redis entry) throws instead of reaching a
 * file bash sources or a PAC script.
 */

/** At most this much of a refused value goes into the error message (it may be long, or hostile). */
const SAMPLE_CHARS = 80;
const sample = (value: unknown) => JSON.stringify(String(value)).slice(0, SAMPLE_CHARS);

export class ProxyMemberError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProxyMemberError';
  }
}

/**
 * A host on its own, after checking it again: for outputs whose readers put `host:port` together
 * themselves (the original routes' `hostname`, the keys of the WLCG WPAD export).
 */
export function hostField(host: ProxyHost): string {
  if (!isProxyHostText(host)) throw new ProxyMemberError(`not a proxy host: ${sample(host)}`);
  return host;
}

/** An IP literal on its own (`public_ip` and the like), after checking it again: no zone, no brackets, nothing else. */
export function addressField(ip: IpLiteral): string {
  if (!isIpLiteralText(ip)) throw new ProxyMemberError(`not an IP literal: ${sample(ip)}`);
  return ip;
}

/** `name:port` or `[v6]:port`, after checking both again. */
export function hostPort(host: ProxyHost, port: Port): string {
  hostField(host);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new ProxyMemberError(`not a port: ${sample(port)}`);
  return isIpv6Literal(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `http://host:port`, the form CVMFS and Frontier expect (no trailing slash). */
export function proxyUrl(host: ProxyHost, port: Port): string {
  return `http://${hostPort(host, port)}`;
}

/** `PROXY host:port`, a PAC file's member. */
export function pacMember(host: ProxyHost, port: Port): string {
  return `PROXY ${hostPort(host, port)}`;
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
