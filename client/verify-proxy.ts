import { probeThroughProxy } from '../shared/cvmfs-probe.js';
import { parseProxyMember } from './proxy-member.js';

export interface ProxyCheck {
  ok: boolean;
  /** Milliseconds from sending the request to the end of a good answer; null when it failed. */
  ms: number | null;
  error: string | null;
}

/**
 * Fetches `testUrl` through a proxy given as a member (`http://host:port`), with the same probe and the
 * same judgement of the answer as the agent's self-check and the server's verifier (shared/cvmfs-probe.ts):
 * a plain proxy request with an absolute URL, as CVMFS itself sends, never a CONNECT tunnel.
 */
export async function checkProxy(proxy: string, testUrl: string, options: { timeoutMs: number }): Promise<ProxyCheck> {
  const member = parseProxyMember(proxy);
  if (member === null) return { ok: false, ms: null, error: 'not a proxy member' };
  try {
    new URL(testUrl);
  } catch {
    return { ok: false, ms: null, error: 'not a URL' };
  }
  const result = await probeThroughProxy({ host: member.host, port: member.port }, testUrl, options.timeoutMs);
  return result.ok ? { ok: true, ms: result.ms, error: null } : { ok: false, ms: null, error: result.reason };
}
