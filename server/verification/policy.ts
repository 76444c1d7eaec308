import type { Heartbeat } from '../../shared/heartbeat.js';
import type { Port, ProxyHost } from '../../shared/identity.js';
import { publicAddress, servesUpstream } from '../model/cache.js';

/**
 * Which caches the verifier checks: live, advertising themselves as serving (a failing agent already
 * keeps its cache out), open to everyone (site and private caches are never offered outside their site,
 * where a failed check would change nothing), and serving what a test URL checks: CVMFS (the test URLs
 * are CVMFS files), or Frontier only when Frontier test URLs are configured (`frontier`).
 */
export function needsVerification(hb: Heartbeat, frontier = false): boolean {
  return hb.status === 'ok' && hb.access === 'global' && (servesUpstream(hb, 'cvmfs') || (frontier && servesUpstream(hb, 'frontier')));
}

/**
 * Where the server reaches a cache from outside its site: public address, then NAT address, then its
 * name. Whether it may connect there at all is `planProbe`'s to say (probe-policy.ts).
 */
export function verificationTarget(hb: Heartbeat): { host: ProxyHost; port: Port } {
  return { host: publicAddress(hb) ?? hb.hostname, port: hb.cachePort };
}
