import { formatCvmfsProxy, formatFrontierProxies } from '../shared/proxy-string.js';
import { assertCvmfsValue, assertFrontierValue, type ProxyUrl } from './proxy-member.js';

/** Pure decisions of the client: rank groups, ordering of verified proxies, and the final strings. */

/** A proxy the client may use, from the server's answer, a LAN announcement or the last good list. */
export interface Candidate {
  /** Only ever a checked member (proxy-member.ts), never the text as it came. */
  url: ProxyUrl;
  source: 'server' | 'lan' | 'last-good';
  /** Rank group: lower first; proxies are only re-ordered by speed inside one group. */
  group: number;
  /** Position in the server's answer (LAN: order heard), the tie-breaker that keeps the server's order. */
  position: number;
  score: number | null;
}

/** A candidate after verification: `ms` is the measured test-fetch time, `error` why it failed. */
export interface Checked extends Candidate {
  ok: boolean;
  ms: number | null;
  error: string | null;
}

/**
 * Splits the server's ranking into groups: site-local caches form their own group, and the rest start
 * a new group whenever a score is more than `tolerance` above the first score of the current group.
 * Within a group the server considers the caches about equally good, so measured speed may decide.
 */
export function rankGroups(caches: readonly { score?: number | null | undefined; local?: boolean | null | undefined }[], tolerance: number): number[] {
  const groups: number[] = [];
  let group = 0;
  let start: number | null = null;
  let local: boolean | null = null;
  caches.forEach((c, i) => {
    const score = c.score ?? null;
    const isLocal = c.local === true;
    const newGroup = i > 0 && (isLocal !== local || score === null || start === null || score - start > tolerance);
    if (newGroup) group += 1;
    if (i === 0 || newGroup) start = score;
    local = isLocal;
    groups.push(group);
  });
  return groups;
}

/** Verified proxies in use order: by group, then by measured time (when `reorder`) or the server's order. */
export function orderVerified(checked: readonly Checked[], reorder: boolean): Checked[] {
  return checked
    .filter((c) => c.ok)
    .sort((a, b) => a.group - b.group || (reorder ? (a.ms ?? Infinity) - (b.ms ?? Infinity) : 0) || a.position - b.position);
}

/** `[a,b,c,d,e]` with size 2 → `[[a,b],[c,d],[e]]`: load-balanced groups in fail-over order. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}

/** The CVMFS_HTTP_PROXY value: found groups, then site defaults (never twice), then DIRECT or not; checked whole. */
export function buildCvmfsValue(found: readonly (readonly ProxyUrl[])[], defaults: readonly (readonly ProxyUrl[])[], direct: 'last' | 'never'): string {
  return assertCvmfsValue(formatCvmfsProxy([...found, ...defaults], { direct }));
}

/**
 * Merges proxies into a FRONTIER_SERVER value as the original client does:
 * `re.subn(r'(\(.*?\))(\(proxyurl.*?\))', r'\1' + ours + r'\2', value, 1)`, i.e. our `(proxyurl=...)`
 * go in front of the first existing proxyurl that follows another parenthesised item; when there is
 * none, they are appended. The result is checked whole: a FRONTIER_SERVER given with a control character,
 * quote or malformed proxyurl throws rather than be passed on.
 */
export function mergeFrontierServer(frontierServer: string, proxies: readonly ProxyUrl[]): string {
  const ours = formatFrontierProxies(proxies);
  const pattern = /(\(.*?\))(\(proxyurl.*?\))/;
  const merged = pattern.test(frontierServer) ? frontierServer.replace(pattern, (_m, first: string, second: string) => `${first}${ours}${second}`) : `${frontierServer}${ours}`;
  return assertFrontierValue(merged);
}
