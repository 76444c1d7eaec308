import { parseIpLiteral, type IpLiteral } from '../../shared/identity.js';

/**
 * Caches behind a NAT, by their external address (the heartbeat's `external_ip`: the original agent sends
 * it when its host has no public address). A caller whose address is that external address sits behind
 * the same NAT: it is at those caches' sites. Built with the site index, once per snapshot; a lookup is
 * one map read (no scan of the caches), and nothing is allocated for a caller behind no cache's NAT.
 */
export interface NatIndex {
  /** Records that the cache of `site` is behind the NAT at `externalIp` (ignored when there is none). */
  add(externalIp: IpLiteral | undefined, site: string): void;
  /** The sites of the caches behind the address's NAT (sorted, shared: do not change it; empty when none). */
  sitesOf(address: string): readonly string[];
  /** The external address as the caches spell it, when caches are behind it; else null. */
  natOf(address: string): IpLiteral | null;
}

const NONE: readonly string[] = Object.freeze([]);

export function createNatIndex(): NatIndex {
  const sites = new Map<string, { nat: IpLiteral; sites: string[] }>();
  let sorted = true;
  let ipv6 = false;
  // Callers' addresses come normalised (lower case, IPv4-mapped unwrapped) but not in RFC 5952 form, as
  // heartbeat addresses are: an IPv6 caller that misses is looked up once more in that form.
  const find = (address: string) => {
    const hit = sites.get(address);
    if (hit || !ipv6 || !address.includes(':')) return hit;
    const canonical = parseIpLiteral(address);
    return canonical === null || canonical === address ? undefined : sites.get(canonical);
  };
  const settle = () => {
    if (sorted) return;
    for (const v of sites.values()) v.sites.sort((a, b) => a.localeCompare(b));
    sorted = true;
  };
  return {
    add(externalIp, site) {
      if (externalIp === undefined) return;
      const at = sites.get(externalIp);
      if (!at) sites.set(externalIp, { nat: externalIp, sites: [site] });
      else if (!at.sites.includes(site)) at.sites.push(site);
      if (externalIp.includes(':')) ipv6 = true;
      sorted = false;
    },
    sitesOf(address) {
      settle();
      return find(address)?.sites ?? NONE;
    },
    natOf(address) {
      return find(address)?.nat ?? null;
    },
  };
}
