import { probeThroughProxy } from '../shared/cvmfs-probe.js';
import { frontierRequestUrl } from '../shared/frontier-probe.js';
import { parseProxyMember } from './proxy-member.js';

export interface ProxyCheck {
  ok: boolean;
  /** Milliseconds from sending the request to the end of a good answer; null when it failed. */
  ms: number | null;
  error: string | null;
}

/**
 * Fetches the test URLs through a proxy given as a member (`http://host:port`), in order, until one
 * answers well, all within `timeoutMs`; with the same probe and the same judgement of the answer as the
 * agent's self-check and the server's verifier (shared/cvmfs-probe.ts): a plain proxy request with an
 * absolute URL, as CVMFS and Frontier clients send, never a CONNECT tunnel.
 */
export async function checkProxy(proxy: string, testUrls: readonly string[], options: { timeoutMs: number }): Promise<ProxyCheck> {
  const member = parseProxyMember(proxy);
  if (member === null) return { ok: false, ms: null, error: 'not a proxy member' };
  if (testUrls.length === 0 || !testUrls.every((u) => URL.canParse(u))) return { ok: false, ms: null, error: 'not a URL' };
  const deadline = performance.now() + options.timeoutMs;
  let error = 'no answer';
  for (const url of testUrls) {
    const left = Math.round(deadline - performance.now());
    if (left <= 0) break;
    const result = await probeThroughProxy({ host: member.host, port: member.port }, url, left);
    if (result.ok) return { ok: true, ms: result.ms, error: null };
    error = testUrls.length > 1 ? `${url}: ${result.reason}` : result.reason;
  }
  return { ok: false, ms: null, error };
}

/**
 * The Frontier test requests for a FRONTIER_SERVER value: one per `(serverurl=...)`, in its order (a
 * proxy passes when it reaches any of them, as a Frontier client fails over between servers).
 */
export function frontierTestUrls(frontierServer: string): string[] {
  const urls: string[] = [];
  for (const m of frontierServer.matchAll(/\(serverurl=([^()]+)\)/g)) {
    const url = (m[1] as string).trim();
    if (/^http:\/\/\S+$/.test(url) && URL.canParse(url) && !urls.includes(url)) urls.push(url);
  }
  return urls.map(frontierRequestUrl);
}
