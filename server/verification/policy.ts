import type { Heartbeat } from '../../shared/heartbeat.js';
import type { ProxyHost } from '../../shared/identity.js';
import { advertisedHost, publicAddress, servesUpstream, type Advertise } from '../model/cache.js';

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
 * What the server checks for a cache: every host a caller outside its site may be given for it, so that
 * what a caller is given is what was checked. That is what `--advertise` hands out (`advertisedHost`:
 * the hostname, or the public/NAT address), plus, with `hostname`, the public (else NAT) address the
 * original routes and the WLCG export carry as `public_ip` (original clients and WLCG WPAD connect
 * there). A name stands for every address it resolves to, and whether the server may connect to each
 * is `planProbe`'s to say (probe-policy.ts).
 */
export function verificationHosts(hb: Heartbeat, advertise: Advertise): ProxyHost[] {
  const given = advertisedHost(hb, advertise);
  const shown = publicAddress(hb);
  return advertise === 'hostname' && shown !== undefined && shown !== given ? [given, shown] : [given];
}
