import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Clock } from '../../shared/clock.js';
import type { LatLon } from './sphere.js';
import { normaliseIp } from './networks.js';
import type { GeoIp } from './geoip.js';
import type { Registry } from '../registry/types.js';

/** Resolves a host name to addresses (node's `dns.lookup` by default; injectable for tests without DNS). */
export type Resolve = (name: string) => Promise<string[]>;

export interface NameLocator {
  /** Where a server is: an IP literal by GeoIP, a registered cache's hostname by its location, else by DNS then GeoIP. */
  locate(name: string): Promise<LatLon | null>;
}

const systemResolve: Resolve = async (name) => (await dnsLookup(name, { all: true })).map((a) => a.address);

/**
 * Names to positions for the CVMFS geo API. DNS answers (and failures) are cached for `ttlMs`, so a
 * name costs one lookup per TTL, not one per request; concurrent requests for a name share one lookup.
 */
export function createNameLocator(deps: { geoip: GeoIp; registry: Registry; clock: Clock; resolve?: Resolve; ttlMs?: number; maxEntries?: number }): NameLocator {
  const { geoip, registry, clock } = deps;
  const resolve = deps.resolve ?? systemResolve;
  const ttlMs = deps.ttlMs ?? 5 * 60_000;
  const maxEntries = deps.maxEntries ?? 10_000;
  const cache = new Map<string, { until: number; value: Promise<LatLon | null> }>();

  const byAddress = (address: string): LatLon | null => {
    const g = geoip.lookup(address);
    return g ? { latitude: g.latitude, longitude: g.longitude } : null;
  };

  const byDns = async (name: string): Promise<LatLon | null> => {
    try {
      const addresses = await resolve(name);
      // IPv4 first: GeoIP databases know IPv4 better (as the CVMFS geo API does).
      const ordered = [...addresses.filter((a) => isIP(a) === 4), ...addresses.filter((a) => isIP(a) === 6)];
      for (const a of ordered) {
        const p = byAddress(a);
        if (p) return p;
      }
      return null;
    } catch {
      return null;
    }
  };

  return {
    async locate(raw) {
      const name = raw.trim().toLowerCase();
      if (isIP(normaliseIp(name)) !== 0) return byAddress(normaliseIp(name));
      for (const e of registry.snapshot()) {
        if (e.location && e.heartbeat.hostname.toLowerCase() === name) return { latitude: e.location.latitude, longitude: e.location.longitude };
      }
      // A single-label name (a caching string such as `x`, or a local host) is nothing DNS can place.
      if (!name.includes('.')) return null;
      const now = clock.now();
      const hit = cache.get(name);
      if (hit && hit.until > now) return hit.value;
      if (cache.size >= maxEntries) cache.clear();
      const value = byDns(name);
      cache.set(name, { until: now + ttlMs, value });
      return value;
    },
  };
}
