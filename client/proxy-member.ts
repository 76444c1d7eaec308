import { parseIpLiteral, parsePort, parseProxyHost, type Port, type ProxyHost } from '../shared/identity.js';
import { ProxyMemberError, proxyUrl } from '../shared/proxy-string.js';

/**
 * The client's check of every proxy it may write. Whatever the server, a LAN agent, the last-good file or
 * the site configuration names ends up in `default.local` (sourced by bash as root) or in a Frontier string,
 * so each member is read with the same typed identity rules the server uses (shared/identity.ts) and
 * rebuilt from the typed values (shared/proxy-string.ts): `http://name:port` or `http://[v6]:port`,
 * nothing else (no userinfo, path, query, fragment, zone id, or port that is not plain decimal).
 */

declare const brand: unique symbol;
/** `http://host:port` built by proxyUrl() from a typed host and port; only the functions below make one. */
export type ProxyUrl = string & { readonly [brand]: 'ProxyUrl' };

export interface ProxyMember {
  readonly host: ProxyHost;
  readonly port: Port;
  readonly url: ProxyUrl;
}

/** Longest member text looked at: a DNS name (253), brackets, `http://`, `:65535`. */
const MAX_MEMBER_LENGTH = 280;

/** The member for a typed-or-not host and port, or null when either fails its rule. */
export function memberOf(host: unknown, port: unknown): ProxyMember | null {
  const h = parseProxyHost(host);
  const p = parsePort(port);
  if (h === null || p === null) return null;
  return { host: h, port: p, url: proxyUrl(h, p) as ProxyUrl };
}

/**
 * Reads `http://name:port` or `http://[v6]:port`. An IPv6 literal must be bracketed (and nothing but IPv6
 * may be), the port must be there, and the host part must be all host: `rogue@evil.example:3128`,
 * `evil.example/x:3128` or `[x]@127.0.0.1:19050/.uvic.ca:3128` are not proxies.
 */
export function parseProxyMember(text: unknown): ProxyMember | null {
  if (typeof text !== 'string' || text.length > MAX_MEMBER_LENGTH || !text.startsWith('http://')) return null;
  const rest = text.slice('http://'.length);
  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1 || rest[close + 1] !== ':') return null;
    host = rest.slice(1, close);
    portText = rest.slice(close + 2);
    // Only IPv6 goes in brackets; `[::ffff:10.0.0.1]` is IPv6 text, rebuilt below as 10.0.0.1.
    if (!host.includes(':') || parseIpLiteral(host) === null) return null;
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon === -1) return null;
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes(':')) return null; // an unbracketed IPv6 literal: where would its port begin?
  }
  // parsePort takes a JSON number too; from text, decimal digits only (no 0x50, 1e3, +80, ' 80').
  if (!/^\d{1,5}$/.test(portText)) return null;
  return memberOf(host, portText);
}

/**
 * For logs: the first `max` characters, with everything outside printable ASCII (and the backslash, so an
 * escape cannot be faked) written as `\uXXXX`, and `…` when something was cut.
 */
export function printable(value: unknown, max = 80): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const escaped = text.slice(0, max).replace(/[^\x20-\x5b\x5d-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > max ? `${escaped}…` : escaped;
}

/** What was dropped, from where, and why: logged as a warning and kept in the run's decision. */
export interface RejectedMember {
  source: 'server' | 'lan' | 'last-good' | 'defaults';
  /** The offending text, truncated and escaped by printable(). */
  member: string;
  reason: string;
}

export const NOT_A_MEMBER = 'not http://<DNS name or IP literal>:<port> (IPv6 in brackets; no userinfo, path, query or fragment)';

/**
 * A CVMFS proxy string (`a|b;c;DIRECT`) as groups of checked members, `DIRECT` left out (its place is the
 * `direct` option's). A member that fails is returned in `rejected`, the others are kept.
 */
export function parseProxyList(value: string): { groups: ProxyUrl[][]; rejected: string[] } {
  const rejected: string[] = [];
  const groups = value
    .split(';')
    .map((g) =>
      g
        .split('|')
        .map((p) => p.trim())
        .filter((p) => p !== '' && p !== 'DIRECT')
        .flatMap((p) => {
          const member = parseProxyMember(p);
          if (member === null) rejected.push(p);
          return member === null ? [] : [member.url];
        }),
    )
    .filter((g) => g.length > 0);
  return { groups, rejected };
}

/** True when `text` is a member in the one spelling proxyUrl() gives it. */
function isCanonicalMember(text: string): boolean {
  return parseProxyMember(text)?.url === text;
}

/**
 * The last check before a CVMFS_HTTP_PROXY value leaves the client: groups separated by `;`, members by
 * `|`, each member canonical or `DIRECT`. Throws (so nothing is written) on anything else.
 */
export function assertCvmfsValue(value: string): string {
  const ok = value !== '' && value.split(';').every((g) => g !== '' && g.split('|').every((m) => m === 'DIRECT' || isCanonicalMember(m)));
  if (!ok) throw new ProxyMemberError(`refusing to write a malformed CVMFS_HTTP_PROXY value: ${printable(value, 200)}`);
  return value;
}

/** Anything but printable ASCII, space, and what a shell reads as syntax. */
const NOT_FRONTIER_TEXT = /[^\x21-\x7e]|["'`$\\;|]/;
const FRONTIER_ITEM = /\(([a-z][a-z0-9_-]*)=([^()]*)\)/iy;

/**
 * Why `value` is not a FRONTIER_SERVER string, or null: it must be `(key=value)...` in printable ASCII
 * without space, quotes, `$`, backtick, backslash, `;` or `|`, and every `(proxyurl=...)` a member.
 */
export function frontierProblem(value: string): string | null {
  if (NOT_FRONTIER_TEXT.test(value)) return 'has a character outside printable ASCII, or a space, quote, $, backtick, backslash, ; or |';
  for (let at = 0; at < value.length; at = FRONTIER_ITEM.lastIndex) {
    FRONTIER_ITEM.lastIndex = at;
    const item = FRONTIER_ITEM.exec(value);
    if (item === null) return `is not a list of (key=value) items from character ${at}`;
    if (item[1]?.toLowerCase() === 'proxyurl' && parseProxyMember(item[2]) === null) return `has a proxyurl that is ${NOT_A_MEMBER}`;
  }
  return null;
}

/** The last check before a FRONTIER_SERVER value leaves the client; throws on anything outside the grammar. */
export function assertFrontierValue(value: string): string {
  const problem = frontierProblem(value);
  if (problem !== null) throw new ProxyMemberError(`refusing to print a FRONTIER_SERVER value that ${problem}: ${printable(value, 200)}`);
  return value;
}
