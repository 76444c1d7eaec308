import { isIP } from 'node:net';

/**
 * The grammar of what an output may put in front of a VM, written here independently of the code under
 * test (no shared/identity.ts): a DNS name of LDH labels, a dotted-quad IPv4 or a canonical bracketed
 * IPv6 literal, and a port 1–65535. Each check throws with the offending text, so a property test's
 * counterexample says what was served.
 */

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DNS_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/** An RFC 5952 spelling: lower case, no leading zeros in a group, `::` for the longest run of zero groups. */
function isCanonicalIpv6(text: string): boolean {
  if (isIP(text) !== 6 || text !== text.toLowerCase() || /(^|:)0[0-9a-f]/.test(text) || text.includes('.')) return false;
  return new URL(`http://[${text}]/`).hostname === `[${text}]`; // WHATWG's serialiser is RFC 5952's
}

/** A host as it may stand on its own (a JSON field, a key): a lower-case DNS name or an IP literal in its one spelling. */
export function expectHost(text: unknown, where: string): string {
  if (typeof text !== 'string') throw new Error(`${where}: host is not a string: ${JSON.stringify(text)}`);
  const ok = isIP(text) === 4 || isCanonicalIpv6(text) || (text.length <= 253 && DNS_NAME.test(text) && isIP(text) === 0);
  if (!ok) throw new Error(`${where}: not a host: ${JSON.stringify(text)}`);
  return text;
}

/** An address field: IPv4 dotted quad or canonical IPv6, nothing else (no zone, no brackets). */
export function expectAddress(text: unknown, where: string): string {
  if (typeof text !== 'string' || !(isIP(text) === 4 || isCanonicalIpv6(text))) throw new Error(`${where}: not an address: ${JSON.stringify(text)}`);
  return text;
}

/** `name:port`, `a.b.c.d:port` or `[v6]:port`; returns the host and port. */
export function expectHostPort(text: string, where: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([1-9][0-9]{0,4})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new Error(`${where}: not host:port: ${JSON.stringify(text)}`);
  const v6 = m[1];
  if (v6 !== undefined && !isCanonicalIpv6(v6)) throw new Error(`${where}: not a bracketed IPv6 literal: ${JSON.stringify(text)}`);
  const host = v6 ?? expectHost(m[2], where);
  if (v6 === undefined && isIP(host) === 6) throw new Error(`${where}: IPv6 without brackets: ${JSON.stringify(text)}`);
  return { host, port };
}

/** `http://host:port`, no path, no userinfo, no trailing slash. */
export function expectProxyUrl(text: string, where: string): { host: string; port: number } {
  if (!text.startsWith('http://')) throw new Error(`${where}: not an http:// proxy URL: ${JSON.stringify(text)}`);
  return expectHostPort(text.slice('http://'.length), where);
}

/** A `CVMFS_HTTP_PROXY` value: members joined by `|` and `;`, `DIRECT` last and nowhere else. */
export function expectCvmfsProxy(text: string, where: string): string[] {
  const groups = text.split(';');
  if (groups.pop() !== 'DIRECT') throw new Error(`${where}: DIRECT is not last: ${JSON.stringify(text)}`);
  return groups.flatMap((g) => g.split('|')).map((m) => (expectProxyUrl(m, where), m));
}

/** A FRONTIER_SERVER fragment of ours: `(proxyurl=http://...)` items only. */
export function expectFrontierProxies(text: string, where: string): string[] {
  if (text === '') return [];
  if (!text.startsWith('(proxyurl=') || !text.endsWith(')')) throw new Error(`${where}: not (proxyurl=...) items: ${JSON.stringify(text)}`);
  return text
    .slice('(proxyurl='.length, -1)
    .split(')(proxyurl=')
    .map((m) => (expectProxyUrl(m, where), m));
}

/** What `FindProxyForURL` returned: `PROXY host:port` items joined by `; `, `DIRECT` only last. */
export function expectPacAnswer(text: string, where: string): string[] {
  const items = text.split('; ');
  if (items.at(-1) === 'DIRECT') items.pop();
  return items.map((item) => {
    if (!item.startsWith('PROXY ')) throw new Error(`${where}: not a PROXY item: ${JSON.stringify(item)} in ${JSON.stringify(text)}`);
    return expectHostPort(item.slice('PROXY '.length), where).host;
  });
}

/** A string with nothing an original client's regex or a shell would trip on: no comma, quote, backslash or control character. */
export function expectPlainText(text: string, where: string): void {
  if (/[,"\\\p{Cc}\u2028\u2029]/u.test(text)) throw new Error(`${where}: not plain text: ${JSON.stringify(text)}`);
}
