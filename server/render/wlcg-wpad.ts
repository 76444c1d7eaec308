/**
 * WLCG WPAD's `shoal-squids.json`: the squids WLCG's own WPAD service reads from Shoal. Used by
 * `/api/v1/export/wlcg-wpad` (routes/export.ts). Pure.
 */

import { addressField, hostField } from '../../shared/proxy-string.js';
import { publicAddress, type CacheEntry } from '../model/cache.js';

/** WLCG WPAD assumes port 3128 for every Shoal squid it reads, so only those are exported. */
const WLCG_WPAD_PORT = 3128;

/** One squid as WLCG WPAD's `shoal-squids.json` reader expects it. */
export interface WlcgWpadEntry {
  public_ip: string;
  private_ip?: string;
  city?: string;
  country_code?: string;
}

/**
 * One squid as WLCG WPAD's `shoal-squids.json` reader expects it; absent keys are left out, not null.
 * Addresses are checked again (`addressField`): WLCG WPAD builds its proxy list from them.
 */
export function wlcgWpadEntry(e: CacheEntry): WlcgWpadEntry | null {
  const hb = e.heartbeat;
  const publicIp = publicAddress(hb);
  if (!publicIp || hb.cachePort !== WLCG_WPAD_PORT || hb.access !== 'global' || hb.status !== 'ok') return null;
  const out: WlcgWpadEntry = { public_ip: addressField(publicIp) };
  if (hb.privateIp) out.private_ip = addressField(hb.privateIp);
  if (e.location?.city) out.city = e.location.city;
  if (e.location?.countryCode) out.country_code = e.location.countryCode;
  return out;
}

/**
 * `shoal-squids.json`: `{ "<hostname>": entry }`, the first cache of each hostname in hostname order.
 * Keyed in an object without a prototype: in a plain `{}`, a cache named `constructor` found the
 * inherited `Object` there and was left out.
 */
export function wlcgWpadExport(entries: Iterable<CacheEntry>, offered: (e: CacheEntry) => boolean): Record<string, WlcgWpadEntry> {
  const out = Object.create(null) as Record<string, WlcgWpadEntry>;
  const sorted = [...entries].sort((a, b) => a.heartbeat.hostname.localeCompare(b.heartbeat.hostname));
  for (const e of sorted) {
    const entry = wlcgWpadEntry(e);
    if (!entry || !offered(e)) continue;
    const host = hostField(e.heartbeat.hostname);
    if (!Object.hasOwn(out, host)) out[host] = entry;
  }
  return out;
}
