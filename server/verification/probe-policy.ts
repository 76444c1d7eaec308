import { lookup } from 'node:dns/promises';
import { addressClass, isPublicAddress, parseIpLiteral, type IpLiteral, type Port, type ProxyHost } from '../../shared/identity.js';
import { createNetworkMatcher, type NetworkMatcher } from '../geo/networks.js';
import type { Coverage } from '../geo/coverage.js';
import type { CacheEntry } from '../model/cache.js';
import { verificationTarget } from './policy.js';

/** The address a name resolves to, or null when it does not resolve. */
export type ResolveName = (name: ProxyHost) => Promise<IpLiteral | null>;

/** The system resolver (what the probe would have used), reduced to one address the probe then connects to. */
export const resolveName: ResolveName = async (name) => {
  try {
    return parseIpLiteral((await lookup(name)).address);
  } catch {
    return null;
  }
};

/** Why the server may connect to a cache: it is public, or the operator declared it. */
export type ProbeGrounds = 'public' | 'signed' | 'coverage';

export type ProbePlan =
  | { probe: true; target: { host: IpLiteral; port: Port }; grounds: ProbeGrounds }
  /** `not_probed`: the server will not connect there; `refused`: there is nowhere to connect (the name does not resolve). */
  | { probe: false; cls: 'not_probed' | 'refused'; detail: string };

/**
 * Whether (and where) the server may probe a cache. Anyone who can publish chooses a heartbeat's
 * addresses and port, so the server connects on its own only to public unicast addresses; a cache on
 * any other address (loopback, private, link-local, documentation, ...) is probed only when the
 * operator declared it: its heartbeat was signed by a keyring key, or the address lies inside a network
 * of the operator's coverage file. What a heartbeat declares itself (`site`, `networks`) declares
 * nothing. A name is resolved here, once, and the probe connects to that address, so what was checked
 * is what is reached.
 */
export async function planProbe(entry: CacheEntry, coverage: NetworkMatcher | null, resolve: ResolveName): Promise<ProbePlan> {
  const { host, port } = verificationTarget(entry.heartbeat);
  const address = parseIpLiteral(host) ?? (await resolve(host));
  if (address === null) return { probe: false, cls: 'refused', detail: `${host} does not resolve` };
  const target = { host: address, port };
  if (isPublicAddress(address)) return { probe: true, target, grounds: 'public' };
  if (entry.signedBy) return { probe: true, target, grounds: 'signed' };
  if (coverage?.has(address)) return { probe: true, target, grounds: 'coverage' };
  const named = address === host ? '' : ` (${host})`;
  return {
    probe: false,
    cls: 'not_probed',
    detail: `${addressClass(address)} address ${address}${named}: not public, and the cache is neither signed by a keyring key nor inside the coverage file`,
  };
}

/** Every network of the operator's coverage file, as one matcher; null when there are none. */
export function coverageNetworks(coverage: Coverage): NetworkMatcher | null {
  const cidrs = Object.values(coverage).flat();
  return cidrs.length > 0 ? createNetworkMatcher(cidrs) : null;
}
