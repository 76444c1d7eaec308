import { resolveAddresses, withTimeout } from '../../shared/dns.js';
import { addressClass, isPublicAddress, parseIpLiteral, type IpLiteral, type Port, type ProxyHost } from '../../shared/identity.js';
import type { NetworkMatcher } from '../geo/networks.js';
import { cacheSource, type Advertise, type CacheEntry } from '../model/cache.js';
import { verificationHosts } from './policy.js';

/** Every address a name resolves to (none when it does not resolve). */
export type ResolveName = (name: ProxyHost) => Promise<IpLiteral[]>;

/** The system resolver, as the caches' clients resolve a name: every address it gives, in its order. */
export const resolveName: ResolveName = resolveAddresses;

const LATE = Symbol('late');

/** Why the server may connect to a cache: it is public, or the operator declared it (a keyring key, the coverage file, the feed). */
export type ProbeGrounds = 'public' | 'signed' | 'coverage' | 'feed';

/** One address the server connects to, the host it stands for (a name, or the address itself), and why it may. */
export interface ProbeTarget {
  host: IpLiteral;
  port: Port;
  /** The host a caller is given that resolved to `host`; `host` itself for an address. */
  given: ProxyHost;
  grounds: ProbeGrounds;
}

export type ProbePlan =
  /** Every target must pass for the cache to be verified. */
  | { probe: true; targets: ProbeTarget[] }
  /**
   * `not_probed`: the server will not connect there; `refused`: there is nowhere to connect (the name does
   * not resolve); `timeout`: the resolver gave no answer in time.
   */
  | { probe: false; cls: 'not_probed' | 'refused' | 'timeout'; detail: string };

/**
 * Most addresses one cache's name may stand for: each is a connection every round, and anyone who can
 * publish a heartbeat chooses the name. A name with more is not probed (and so not verified).
 */
export const MAX_ADDRESSES_PER_CACHE = 8;

/**
 * Whether (and where) the server may probe a cache. Anyone who can publish chooses a heartbeat's
 * addresses, name and port, so the server connects on its own only to public unicast addresses; a cache
 * on any other address (loopback, private, link-local, documentation, ...) is probed only when the
 * operator declared it: its heartbeat was signed by a keyring key, the operator's feed lists it (`--feed`),
 * or the address lies inside a network of the operator's coverage file. What a heartbeat declares itself
 * (`site`, `networks`) declares nothing. The hosts checked are `verificationHosts` (every host a caller
 * may be given); a name is resolved here, once, to every address it gives, and the probe connects to
 * those addresses, so what was checked is what is reached. One address the server may not probe, or a name that does not
 * resolve (or not within `resolveTimeoutMs`), and the cache cannot be verified.
 */
export async function planProbe(
  entry: CacheEntry,
  coverage: NetworkMatcher | null,
  resolve: ResolveName,
  advertise: Advertise,
  resolveTimeoutMs: number,
): Promise<ProbePlan> {
  const port = entry.heartbeat.cachePort;
  const targets: ProbeTarget[] = [];
  for (const given of verificationHosts(entry.heartbeat, advertise)) {
    const literal = parseIpLiteral(given);
    // A resolver that hangs costs this cache its verification, as a probe that hangs does, and not the round.
    const addresses = literal !== null ? [literal] : await withTimeout(resolve(given).catch(() => []), resolveTimeoutMs, LATE);
    if (addresses === LATE) return { probe: false, cls: 'timeout', detail: `${given}: no DNS answer within ${resolveTimeoutMs} ms` };
    if (addresses.length === 0) return { probe: false, cls: 'refused', detail: `${given} does not resolve` };
    if (addresses.length > MAX_ADDRESSES_PER_CACHE) {
      return { probe: false, cls: 'not_probed', detail: `${given} resolves to ${addresses.length} addresses; at most ${MAX_ADDRESSES_PER_CACHE} are probed` };
    }
    for (const address of addresses) {
      if (targets.some((t) => t.host === address)) continue;
      const grounds: ProbeGrounds | null = isPublicAddress(address)
        ? 'public'
        : entry.signedBy
          ? 'signed'
          : cacheSource(entry) === 'feed'
            ? 'feed'
            : coverage?.has(address)
              ? 'coverage'
              : null;
      if (grounds === null) {
        const named = address === given ? '' : ` (${given})`;
        return {
          probe: false,
          cls: 'not_probed',
          detail: `${addressClass(address)} address ${address}${named}: not public, and the cache is neither signed by a keyring key nor inside the coverage file`,
        };
      }
      targets.push({ host: address, port, given, grounds });
    }
  }
  if (targets.length > MAX_ADDRESSES_PER_CACHE) {
    return { probe: false, cls: 'not_probed', detail: `${targets.length} addresses to check; at most ${MAX_ADDRESSES_PER_CACHE} are probed` };
  }
  return { probe: true, targets };
}
