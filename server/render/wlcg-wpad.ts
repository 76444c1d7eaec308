/**
 * WLCG WPAD's `shoal-squids.json`: the squids WLCG's own WPAD service reads from Shoal. Used by
 * `/api/v1/export/wlcg-wpad` (routes/export.ts). Pure.
 *
 * How WLCG WPAD uses an entry (its pyweb/wlcg_wpad.py): `public_ip` is looked up in an ISP database to
 * find the squid's organisation; every client of that organisation is then given `private_ip` if the
 * entry has one, else `public_ip`, as `<address>:3128`, written `PROXY http://<address>:3128`. It checks
 * nothing itself, so what is exported is offered: no cache that is overloaded, failing, draining or
 * failed the server's check; no IPv6 literal (it would make `PROXY http://2001:db8::1:3128`); and a
 * private address only where it is meant for the clients it will reach.
 */

import { isIpv6Literal, type IpLiteral } from '../../shared/identity.js';
import { addressField, hostField } from '../../shared/proxy-string.js';
import { isLeaving, publicAddress, type CacheEntry } from '../model/cache.js';
import { offerState } from '../model/state.js';
import type { SiteIndex } from '../geo/sites.js';

/** WLCG WPAD assumes port 3128 for every Shoal squid it reads, so only those are exported. */
const WLCG_WPAD_PORT = 3128;

/** One squid as WLCG WPAD's `shoal-squids.json` reader expects it. */
export interface WlcgWpadEntry {
  public_ip: string;
  private_ip?: string;
  city?: string;
  country_code?: string;
}

/** What the export weighs besides the entry: the same rules and data the lookup uses. */
export interface WlcgWpadRules {
  /** Max load (kB/s) of caches that report none: over it a cache is overloaded. */
  defaultMaxLoad: number;
  /** Caches an operator is draining. */
  isDrained: (id: string) => boolean;
  /** Site networks, declared by agents or in the coverage file. */
  sites: Pick<SiteIndex, 'siteOfCache' | 'sitesOf'>;
}

/**
 * A city or country code as WLCG WPAD puts it in the PAC file it serves: in a `//` comment line, which a
 * control or line-separator character (from whatever another replica stored) would end, and what
 * followed would run in every client of the organisation. Those characters are dropped.
 */
const commentText = (s: string): string => s.replace(/[\p{Cc}\u2028\u2029]/gu, '');

/** An address WLCG WPAD can write as `PROXY http://<address>:3128`: IPv4 only. */
const usableAddress = (ip: IpLiteral | undefined): IpLiteral | undefined => (ip === undefined || isIpv6Literal(ip) ? undefined : ip);

/**
 * Whether a cache is offered to anyone, as the lookup offers it with nothing relaxed: global, on port
 * 3128, neither leaving, draining, failing the server's check or its agent's, nor overloaded.
 */
export function wlcgWpadExports(e: CacheEntry, rules: Pick<WlcgWpadRules, 'defaultMaxLoad' | 'isDrained'>): boolean {
  const hb = e.heartbeat;
  return hb.cachePort === WLCG_WPAD_PORT && hb.access === 'global' && !isLeaving(hb) && offerState(e, rules.defaultMaxLoad, rules.isDrained) === 'ok';
}

/**
 * The private address to export: only one a network of the cache's own site holds (the agent's
 * `networks`, or the coverage file). WLCG WPAD hands it to every client of the cache's organisation; a
 * cloud squid's 172.31.x address, undeclared, went to every tenant of that cloud.
 */
function sitePrivateAddress(e: CacheEntry, sites: WlcgWpadRules['sites']): IpLiteral | undefined {
  const ip = usableAddress(e.heartbeat.privateIp);
  if (ip === undefined) return undefined;
  const site = sites.siteOfCache(e);
  return site !== null && sites.sitesOf(ip).includes(site) ? ip : undefined;
}

/**
 * One squid as WLCG WPAD's `shoal-squids.json` reader expects it, or null when it is not exported;
 * absent keys are left out, not null. Addresses are checked again (`addressField`): WLCG WPAD builds its
 * proxy list from them.
 */
export function wlcgWpadEntry(e: CacheEntry, rules: WlcgWpadRules): WlcgWpadEntry | null {
  // The address the server locates and checks the cache at; an IPv6 one leaves the cache out.
  const publicIp = usableAddress(publicAddress(e.heartbeat));
  if (!publicIp || !wlcgWpadExports(e, rules)) return null;
  const out: WlcgWpadEntry = { public_ip: addressField(publicIp) };
  const privateIp = sitePrivateAddress(e, rules.sites);
  if (privateIp) out.private_ip = addressField(privateIp);
  const city = e.location?.city ? commentText(e.location.city) : '';
  const countryCode = e.location?.countryCode ? commentText(e.location.countryCode) : '';
  if (city) out.city = city;
  if (countryCode) out.country_code = countryCode;
  return out;
}

/**
 * `shoal-squids.json`: `{ "<hostname>": entry }`, the first exported cache of each hostname in hostname
 * order. Keyed in an object without a prototype: in a plain `{}`, a cache named `constructor` found the
 * inherited `Object` there and was left out.
 */
export function wlcgWpadExport(entries: Iterable<CacheEntry>, rules: WlcgWpadRules): Record<string, WlcgWpadEntry> {
  const out = Object.create(null) as Record<string, WlcgWpadEntry>;
  const sorted = [...entries].sort((a, b) => a.heartbeat.hostname.localeCompare(b.heartbeat.hostname));
  for (const e of sorted) {
    const host = hostField(e.heartbeat.hostname);
    if (Object.hasOwn(out, host)) continue;
    const entry = wlcgWpadEntry(e, rules);
    if (entry) out[host] = entry;
  }
  return out;
}
