import { createNetworkMatcher, isValidCidr, type NetworkMatcher } from './networks.js';
import type { ChangedSlots } from '../registry/types.js';
import type { Coverage } from './coverage.js';
import type { CacheEntry, CacheLocation } from '../model/cache.js';
import type { IpLiteral } from '../../shared/identity.js';
import { createNatIndex } from './nat.js';

/** Which site each cache belongs to and which networks each site serves, for one registry snapshot. */
export interface SiteIndex {
  /**
   * Sites whose networks contain the address, and the sites of the caches whose external (NAT) address it
   * is: a caller there is behind the same NAT (sorted; empty when none, or no address).
   */
  sitesOf(address: string | null): readonly string[];
  /**
   * The cache's site: declared, else the coverage site holding one of its addresses, else (if it declares
   * networks, or sits behind a NAT: an `external_ip`) a site of its own, named by its hostname.
   */
  siteOfCache(entry: CacheEntry): string | null;
  /** The external address of the caches the address is behind the same NAT as (spelt as they spell it), or null. */
  natOf(address: string | null): IpLiteral | null;
  /** Where a site is: its first located cache by hostname (declared coordinates win), or null. */
  positionOf(site: string): CacheLocation | null;
}

export interface Locality {
  /**
   * The index for a snapshot; rebuilt only when the snapshot (an immutable array) holds other site data.
   * `changedSlots` (the registry's, when it knows them) says where a new snapshot differs from the last.
   */
  index(snapshot: readonly CacheEntry[], changedSlots?: ChangedSlots): SiteIndex;
}

/**
 * Site locality without any per-request DNS or subprocess (the original ran `dig` per cache per
 * request): everything here is CIDR arithmetic on data we already hold, memoised per snapshot.
 */
export function createLocality(coverage: Coverage): Locality {
  const coverageMatchers = Object.entries(coverage).map(([site, cidrs]) => ({ site, matcher: createNetworkMatcher(cidrs) }));
  // Heartbeats replace entries every few seconds; these memos keep a rebuild O(caches) with no re-parsing.
  // The coverage site of a cache's addresses (only with a coverage file: without one there is nothing to memoise).
  const coverageSites = new Map<string, { publicIp?: string | undefined; privateIp?: string | undefined; externalIp?: string | undefined; site: string | null }>();
  const matchers = new Map<string, NetworkMatcher>();
  let last: { snapshot: readonly CacheEntry[]; index: SiteIndex } | null = null;

  const coverageSiteOf = (addresses: readonly (string | undefined)[]): string | null => {
    for (const address of addresses) {
      if (!address) continue;
      for (const { site, matcher } of coverageMatchers) if (matcher.has(address)) return site;
    }
    return null;
  };

  const coverageSiteOfCache = (entry: CacheEntry): string | null => {
    if (coverageMatchers.length === 0) return null;
    const { publicIp, privateIp, externalIp } = entry.heartbeat;
    // Compared field by field: a key string built per cache per rebuild was most of a rebuild's cost.
    const memo = coverageSites.get(entry.id);
    if (memo && memo.publicIp === publicIp && memo.privateIp === privateIp && memo.externalIp === externalIp) return memo.site;
    const site = coverageSiteOf([privateIp, publicIp, externalIp]);
    coverageSites.set(entry.id, { publicIp, privateIp, externalIp, site });
    return site;
  };

  const siteOfCache = (entry: CacheEntry): string | null => {
    const hb = entry.heartbeat;
    return hb.site ?? coverageSiteOfCache(entry) ?? (hb.networks?.length || hb.externalIp !== undefined ? hb.hostname : null);
  };

  const matcherFor = (cidrs: readonly string[]): NetworkMatcher => {
    const key = [...cidrs].sort().join(',');
    let m = matchers.get(key);
    if (!m) {
      // The heartbeat schema checks only the shape of a CIDR: one agent's `10.0.0.0/99` must not break every lookup.
      m = createNetworkMatcher(cidrs.filter(isValidCidr));
      matchers.set(key, m);
    }
    return m;
  };

  const build = (snapshot: readonly CacheEntry[]): SiteIndex => {
    const networks = new Map<string, Set<string>>();
    for (const [site, cidrs] of Object.entries(coverage)) networks.set(site, new Set(cidrs));
    const positions = new Map<string, { hostname: string; location: CacheLocation }>();
    const nat = createNatIndex();
    for (const entry of snapshot) {
      const site = siteOfCache(entry);
      if (site === null) continue;
      nat.add(entry.heartbeat.externalIp, site);
      const set = networks.get(site) ?? new Set<string>();
      for (const cidr of entry.heartbeat.networks ?? []) set.add(cidr);
      networks.set(site, set);
      const l = entry.location;
      const best = positions.get(site);
      if (l && (!best || better(l, entry.heartbeat.hostname, best))) positions.set(site, { hostname: entry.heartbeat.hostname, location: l });
    }
    // Bounded memo: forget caches gone since (all of it; it refills as the next rebuilds meet each cache).
    if (coverageSites.size > 2 * snapshot.length + 100) coverageSites.clear();
    if (matchers.size > 10_000) matchers.clear();
    const siteMatchers: { site: string; matcher: NetworkMatcher }[] = [];
    for (const [site, set] of networks) if (set.size > 0) siteMatchers.push({ site, matcher: matcherFor([...set]) });
    siteMatchers.sort((a, b) => a.site.localeCompare(b.site));
    return {
      siteOfCache,
      positionOf: (site) => positions.get(site)?.location ?? null,
      natOf: (address) => (address ? nat.natOf(address) : null),
      sitesOf(address) {
        if (!address) return [];
        const out: string[] = [];
        for (const { site, matcher } of siteMatchers) if (matcher.has(address)) out.push(site);
        const behind = nat.sitesOf(address);
        if (behind.length === 0) return out;
        if (out.length === 0) return behind;
        for (const site of behind) if (!out.includes(site)) out.push(site);
        return out.sort((a, b) => a.localeCompare(b));
      },
    };
  };

  return {
    index(snapshot, changedSlots) {
      if (last && last.snapshot === snapshot) return last.index;
      // Most new snapshots differ from the last by heartbeats that changed a load: the index stays the same.
      const index = last && sameSiteData(last.snapshot, snapshot, changedSlots?.(last.snapshot, snapshot) ?? null) ? last.index : build(snapshot);
      last = { snapshot, index };
      return index;
    },
  };
}

/**
 * Whether two snapshots hold the same caches, in the same order, with the same of everything an index is
 * built from (site, networks, hostname, addresses, location): in the slots that changed when they are
 * known, else in every slot, a pointer comparison for the entries a heartbeat did not replace. At 10,000
 * caches a rebuild took 0.1 ms, paid after every heartbeat.
 */
function sameSiteData(a: readonly CacheEntry[], b: readonly CacheEntry[], changed: readonly number[] | null): boolean {
  if (a.length !== b.length) return false;
  if (changed) return changed.every((i) => sameSiteFields(a[i] as CacheEntry, b[i] as CacheEntry));
  for (let i = 0; i < a.length; i++) if (!sameSiteFields(a[i] as CacheEntry, b[i] as CacheEntry)) return false;
  return true;
}

function sameSiteFields(x: CacheEntry, y: CacheEntry): boolean {
  if (x === y) return true;
  const p = x.heartbeat;
  const q = y.heartbeat;
  if (x.id !== y.id || x.location !== y.location || p.site !== q.site || p.hostname !== q.hostname) return false;
  if (p.publicIp !== q.publicIp || p.privateIp !== q.privateIp || p.externalIp !== q.externalIp) return false;
  return p.networks === q.networks || (p.networks?.length === q.networks?.length && (p.networks ?? []).every((cidr, k) => cidr === q.networks?.[k]));
}

function better(l: CacheLocation, hostname: string, current: { hostname: string; location: CacheLocation }): boolean {
  const declared = l.source === 'declared';
  const currentDeclared = current.location.source === 'declared';
  if (declared !== currentDeclared) return declared;
  return hostname < current.hostname;
}
