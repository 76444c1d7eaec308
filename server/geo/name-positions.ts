import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Clock } from '../../shared/clock.js';
import type { LatLon } from './sphere.js';
import { normaliseIp } from './networks.js';
import type { GeoIp } from './geoip.js';
import type { WatchedGeoIp } from './geoip-watch.js';
import type { CacheEntry } from '../model/cache.js';
import type { Registry } from '../registry/types.js';

/** Resolves a host name to addresses (node's `dns.lookup` by default; injectable for tests without DNS). */
export type Resolve = (name: string) => Promise<string[]>;

/** A position, `null` for a name nothing places, `undefined` for a name only a DNS answer still to come can place. */
export type KnownPosition = LatLon | null | undefined;

export interface NameLocator {
  /** Where a server is: an IP literal by GeoIP, a registered cache's hostname by its location, else by DNS then GeoIP. */
  locate(name: string): Promise<LatLon | null>;
  /** `locate` without waiting: `undefined` when the name needs a DNS answer not yet had (then call `locate`). */
  known(name: string): KnownPosition;
  /**
   * `known` for each name, or `undefined` as soon as one needs DNS. The positions of one list (the same
   * array: the geo API parses each server list once) are kept until a position may have changed.
   */
  knownAll(names: readonly string[]): readonly (LatLon | null)[] | undefined;
  /** Forget every position (not the DNS answers): a new GeoIP database places addresses anew. */
  clear(): void;
}

const systemResolve: Resolve = async (name) => (await dnsLookup(name, { all: true })).map((a) => a.address);

/** A DNS answer: its addresses (null when the name did not resolve) once it came. */
interface DnsAnswer {
  until: number;
  pending: Promise<void>;
  addresses: string[] | null | undefined;
}

/** A name's position; `until` is the DNS answer's end for a name placed by DNS, else Infinity. */
interface Placed {
  at: LatLon | null;
  until: number;
}

/**
 * Names to positions for the CVMFS geo API, cached per name as a Stratum-1's geo API does: IP literals,
 * registered caches' hostnames and DNS answers alike, up to `maxEntries` names (the oldest go first). A
 * position holds until the GeoIP database is replaced (a `WatchedGeoIp` tells its reloads; `clear()` for
 * anyone else) or the registry view changes who is listed or where (checked once per call by view
 * identity, then entry by entry only when the view is another one: heartbeats that change only load keep
 * the cache). DNS answers (and failures) are cached for `ttlMs`, so a name costs one lookup per TTL, not
 * one per request; concurrent requests for a name share one lookup. A name whose position is known costs
 * one Map read and no promise.
 */
export function createNameLocator(deps: {
  geoip: GeoIp | WatchedGeoIp;
  registry: Registry;
  clock: Clock;
  resolve?: Resolve;
  ttlMs?: number;
  maxEntries?: number;
}): NameLocator {
  const { geoip, registry, clock } = deps;
  const resolve = deps.resolve ?? systemResolve;
  const ttlMs = deps.ttlMs ?? 5 * 60_000;
  const maxEntries = deps.maxEntries ?? 10_000;
  const positions = new Map<string, Placed>();
  const dns = new Map<string, DnsAnswer>();
  // Bumped by every clear, so a DNS answer that comes after one does not write a position placed before it.
  let generation = 0;
  // knownAll's answers per list, with the generation they were made in and the first DNS expiry among them.
  const lists = new WeakMap<readonly string[], { points: readonly (LatLon | null)[]; generation: number; until: number }>();

  const clear = () => {
    positions.clear();
    generation++;
  };
  if ('onReload' in geoip) geoip.onReload(clear);

  // Registered hostnames (lower case) to the first listed position, for the view they were read from.
  let seenView: readonly CacheEntry[] | null = null;
  let registered = new Map<string, LatLon>();
  const syncRegistry = () => {
    const view = registry.snapshot();
    if (view === seenView) return;
    if (seenView === null || placesDiffer(seenView, view)) {
      registered = new Map();
      for (const e of view) {
        const name = e.heartbeat.hostname.toLowerCase();
        if (e.location && !registered.has(name)) registered.set(name, { latitude: e.location.latitude, longitude: e.location.longitude });
      }
      clear();
    }
    seenView = view;
  };

  const byAddress = (address: string): LatLon | null => {
    const g = geoip.lookup(address);
    return g ? { latitude: g.latitude, longitude: g.longitude } : null;
  };
  // IPv4 first: GeoIP databases know IPv4 better (as the CVMFS geo API does).
  const byAddresses = (addresses: readonly string[] | null): LatLon | null => {
    if (!addresses) return null;
    for (const family of [4, 6]) {
      for (const a of addresses) {
        if (isIP(a) !== family) continue;
        const p = byAddress(a);
        if (p) return p;
      }
    }
    return null;
  };

  const remember = (raw: string, at: LatLon | null, until: number) => {
    if (positions.size >= maxEntries) positions.delete(positions.keys().next().value as string);
    positions.set(raw, { at, until });
    return at;
  };

  const dnsAnswer = (name: string, now: number): DnsAnswer => {
    const hit = dns.get(name);
    if (hit && hit.until > now) return hit;
    if (hit) dns.delete(name);
    if (dns.size >= maxEntries) dns.delete(dns.keys().next().value as string);
    const answer: DnsAnswer = { until: now + ttlMs, addresses: undefined, pending: Promise.resolve() };
    answer.pending = resolve(name).then(
      (addresses) => void (answer.addresses = addresses),
      () => void (answer.addresses = null),
    );
    dns.set(name, answer);
    return answer;
  };

  /** `known` once the registry is in step. */
  const knownNow = (raw: string): KnownPosition => {
    const hit = positions.get(raw);
    if (hit && (hit.until === Infinity || hit.until > clock.now())) return hit.at;
    const name = raw.trim().toLowerCase();
    const address = normaliseIp(name);
    if (isIP(address) !== 0) return remember(raw, byAddress(address), Infinity);
    const reg = registered.get(name);
    if (reg) return remember(raw, reg, Infinity);
    // A single-label name (a caching string such as `x`, or a local host) is nothing DNS can place.
    if (!name.includes('.')) return remember(raw, null, Infinity);
    const answer = dnsAnswer(name, clock.now());
    return answer.addresses === undefined ? undefined : remember(raw, byAddresses(answer.addresses), answer.until);
  };

  return {
    known(raw) {
      syncRegistry();
      return knownNow(raw);
    },
    knownAll(names) {
      syncRegistry();
      const now = clock.now();
      const kept = lists.get(names);
      if (kept && kept.generation === generation && kept.until > now) return kept.points;
      const out: (LatLon | null)[] = [];
      let until = Infinity;
      for (const n of names) {
        const p = knownNow(n);
        if (p === undefined) return undefined;
        out.push(p);
        until = Math.min(until, positions.get(n)?.until ?? now);
      }
      lists.set(names, { points: out, generation, until });
      return out;
    },
    async locate(raw) {
      syncRegistry();
      const now = knownNow(raw);
      if (now !== undefined) return now;
      const answer = dnsAnswer(raw.trim().toLowerCase(), clock.now());
      const before = generation;
      await answer.pending;
      const at = byAddresses(answer.addresses ?? null);
      return before === generation ? remember(raw, at, answer.until) : at;
    },
    clear,
  };
}

/** Whether two registry views differ in who is listed, under which name or where (not in load or state). */
function placesDiffer(a: readonly CacheEntry[], b: readonly CacheEntry[]): boolean {
  if (a.length !== b.length) return true;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as CacheEntry;
    const y = b[i] as CacheEntry;
    if (x === y) continue;
    if (x.id !== y.id || x.heartbeat.hostname !== y.heartbeat.hostname) return true;
    if (x.location?.latitude !== y.location?.latitude || x.location?.longitude !== y.location?.longitude) return true;
  }
  return false;
}
