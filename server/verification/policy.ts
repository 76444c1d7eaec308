import type { Heartbeat } from '../../shared/heartbeat.js';
import type { Port, ProxyHost } from '../../shared/identity.js';
import type { CacheEntry } from '../registry/types.js';

/**
 * Whether the server's own verification lets a cache be offered. A cache that failed it stays on offer
 * to callers in its own site only (the site's network may reach it when the server cannot); one not
 * checked yet is offered, so a new cache is useful at once.
 */
export function verificationAllows(entry: CacheEntry, callerInSite: boolean): boolean {
  return callerInSite || entry.verification === null || entry.verification.ok;
}

/** Verified as the original meant it: the agent says so, or the server checked it and it served. */
export function isVerified(entry: CacheEntry): boolean {
  return entry.heartbeat.verified || entry.verification?.ok === true;
}

/**
 * Which caches the verifier checks: live, advertising themselves as serving (a failing agent already
 * keeps its cache out), open to everyone (site and private caches are never offered outside their site,
 * where a failed check would change nothing), and serving CVMFS (the test URLs are CVMFS files).
 */
export function needsVerification(hb: Heartbeat): boolean {
  return hb.status === 'ok' && hb.access === 'global' && hb.upstream !== 'frontier';
}

/**
 * Where the server reaches a cache from outside its site: public address, then NAT address, then its
 * name. Whether it may connect there at all is `planProbe`'s to say (probe-policy.ts).
 */
export function verificationTarget(hb: Heartbeat): { host: ProxyHost; port: Port } {
  return { host: hb.publicIp ?? hb.externalIp ?? hb.hostname, port: hb.cachePort };
}
