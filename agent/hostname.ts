import { lookupService, reverse } from 'node:dns/promises';
import { resolveAddresses, withTimeout } from '../shared/dns.js';
import type { NetworkInterfaceInfo } from 'node:os';
import { parseDnsName, parseIpLiteral, parseProxyHost, type IpLiteral, type ProxyHost } from '../shared/identity.js';
import { discoverAddresses } from './addresses.js';

/**
 * Name lookups as a client of the cache would make them. The agent gets one handed in, so the choice of
 * its name is tested with a stub (there is no DNS server on the test machines) and runs against the
 * system resolver (`systemResolver`) for real.
 */
export interface HostResolver {
  /** The names reverse DNS gives for an address (PTR records, or the hosts file); empty when there are none. */
  reverse(address: IpLiteral): Promise<string[]>;
  /** Every address a name resolves to; empty when it does not resolve. */
  resolve(name: string): Promise<IpLiteral[]>;
}

/** How the advertised name was found. */
export type HostnameSource = 'configured' | 'reverse-dns' | 'system';

export interface HostnameChoice {
  name: ProxyHost;
  source: HostnameSource;
  /** Why this name, in words, for the start-up log. */
  why: string;
  /** What a client may trip over with it (a short name, a name that does not lead here); empty: none. */
  warnings: string[];
}

export interface HostnameInput {
  /** `--hostname`; empty: choose one. */
  configured: ProxyHost | '';
  /** This host's name (`os.hostname()`), the last resort. */
  systemName: string;
  /** The address the world reaches the host at (public, else NAT), whose reverse-DNS name is preferred. */
  reachableAt: IpLiteral | undefined;
  /** Every address of the host a client might be sent to (advertised and interface addresses, no loopback). */
  hostAddresses: readonly IpLiteral[];
  resolver: HostResolver;
}

export class HostnameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostnameError';
  }
}

/**
 * The name the agent advertises, as a client will use it. A configured `--hostname` is used as given.
 * Otherwise the name reverse DNS gives for the public (or NAT) address, when that name resolves back to
 * it (forward-confirmed reverse DNS, so the name is one a client elsewhere can use), as the original
 * agent sent its public address's reverse-DNS name; else this host's own name, which on a cloud VM is
 * often a short name nobody else resolves. Whatever is chosen is checked the way a client would use it,
 * and each way it could fail a client becomes a warning: the server verifies (or hands out) what it is
 * told, and a name that leads nowhere fails every VM that is given it.
 */
export async function chooseHostname(input: HostnameInput): Promise<HostnameChoice> {
  const { resolver } = input;
  let chosen: Omit<HostnameChoice, 'warnings'> | null = null;
  let fallbackWhy = '';
  if (input.configured) {
    chosen = { name: input.configured, source: 'configured', why: 'configured (--hostname)' };
  } else if (input.reachableAt) {
    const confirmed = await confirmedReverseName(input.reachableAt, resolver);
    if (confirmed.name) chosen = { name: confirmed.name, source: 'reverse-dns', why: `reverse DNS of ${input.reachableAt}, which it resolves back to` };
    else fallbackWhy = confirmed.why;
  } else {
    fallbackWhy = 'no public or NAT address to look up in reverse DNS';
  }
  if (!chosen) {
    const name = parseProxyHost(input.systemName);
    if (name === null) throw new HostnameError(`this host's name "${input.systemName}" is not a DNS name (${fallbackWhy}): set --hostname`);
    chosen = { name, source: 'system', why: `this host's name (${fallbackWhy})` };
  }
  return { ...chosen, warnings: await hostnameWarnings(chosen.name, input.hostAddresses, resolver) };
}

/** The first name reverse DNS gives for `address` that resolves back to it, or why there is none. */
async function confirmedReverseName(address: IpLiteral, resolver: HostResolver): Promise<{ name: ProxyHost | null; why: string }> {
  const names = [...new Set((await resolver.reverse(address)).map(parseDnsName).filter((n) => n !== null))];
  if (names.length === 0) return { name: null, why: `${address} has no reverse-DNS name` };
  // Several names (several PTR records, or hosts-file aliases): a fully qualified one first.
  names.sort((a, b) => Number(!a.includes('.')) - Number(!b.includes('.')));
  const seen: string[] = [];
  for (const name of names) {
    const addresses = await resolver.resolve(name);
    if (addresses.includes(address)) return { name, why: '' };
    seen.push(`${name} resolves to ${addresses.length > 0 ? addresses.join(', ') : 'nothing'}`);
  }
  return { name: null, why: `the reverse-DNS name of ${address} does not resolve back to it: ${seen.join('; ')}` };
}

/** What would make `name` fail a client: a single label (resolved, if at all, by local search domains), or no address of this host behind it. */
export async function hostnameWarnings(name: ProxyHost, hostAddresses: readonly IpLiteral[], resolver: HostResolver): Promise<string[]> {
  if (parseIpLiteral(name) !== null) return [];
  const warnings: string[] = [];
  if (!name.includes('.')) warnings.push(`${name} is a short name (one label): clients outside this host's own DNS search domain cannot resolve it; set --hostname to its fully qualified name`);
  const addresses = await resolver.resolve(name);
  if (addresses.length === 0) {
    warnings.push(`${name} does not resolve: clients given it cannot reach the cache; set --hostname to a name that resolves to this host`);
  } else if (!addresses.some((a) => hostAddresses.includes(a))) {
    const mine = hostAddresses.length > 0 ? hostAddresses.join(', ') : 'none found';
    warnings.push(`${name} resolves to ${addresses.join(', ')}, none of this host's addresses (${mine}): clients given it reach another host`);
  }
  return warnings;
}

/** How long one lookup may take before it counts as no answer. */
const LOOKUP_TIMEOUT_MS = 5000;

/**
 * The system's resolver (node:dns): reverse DNS as the C library answers it (hosts file, then DNS, as
 * the original agent's `gethostbyaddr`) plus every PTR record; forward lookups as clients make them.
 */
export const systemResolver: HostResolver = {
  async reverse(address) {
    const [system, records] = await Promise.all([
      withTimeout(lookupService(address, 0).then((r) => [r.hostname]), LOOKUP_TIMEOUT_MS, [] as string[]),
      withTimeout(reverse(address), LOOKUP_TIMEOUT_MS, [] as string[]),
    ]);
    return [...new Set([...system, ...records])];
  },
  resolve: (name) => withTimeout(resolveAddresses(name), LOOKUP_TIMEOUT_MS, []),
};

/**
 * What the name is checked against, from the agent's settings and the interfaces: the address the
 * world reaches the host at (public, else the configured NAT address, as the heartbeat sends them), and
 * every address of the host a client could be sent to (advertised ones and the non-loopback interfaces').
 */
export function addressesForName(
  config: { publicIp: IpLiteral | ''; privateIp: IpLiteral | ''; externalIp: IpLiteral | '' },
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
): { reachableAt: IpLiteral | undefined; hostAddresses: IpLiteral[] } {
  const found = discoverAddresses(interfaces);
  const reachableAt = config.publicIp || found.publicIp || config.externalIp || undefined;
  const fromInterfaces = Object.values(interfaces).flatMap((list) => (list ?? []).filter((i) => !i.internal).map((i) => parseIpLiteral(i.address)));
  const all = [reachableAt, config.publicIp, config.privateIp, config.externalIp, found.publicIp, found.privateIp, ...fromInterfaces];
  return { reachableAt, hostAddresses: [...new Set(all.filter((a): a is IpLiteral => !!a))] };
}
