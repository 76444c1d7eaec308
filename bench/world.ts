/**
 * The benchmark's synthetic world: caches and callers spread over many countries. Pure and seeded, so
 * two runs load the server with the same heartbeats and the same callers.
 */
import { createSeededRandom as createRandom } from './random.js';

export interface WorldAddress {
  ip: string;
  countryCode: string;
}

/** What the sampler needs from GeoIP: the country of a public address, or null when unknown. */
export type CountryOf = (ip: string) => string | null;

/**
 * Public IPv4 addresses that GeoIP places, drawn round-robin over the countries found, so a handful of
 * countries with most of the address space (US, CN) do not make up nearly every address.
 */
export function sampleWorldAddresses(countryOf: CountryOf, options: { count: number; seed: number; attempts?: number }): WorldAddress[] {
  const random = createRandom(options.seed);
  const byCountry = new Map<string, string[]>();
  const seen = new Set<string>();
  const attempts = options.attempts ?? Math.max(20_000, options.count * 20);
  for (let i = 0; i < attempts; i++) {
    const n = Math.floor(random() * 4294967296);
    const ip = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    if (seen.has(ip)) continue;
    seen.add(ip);
    const country = countryOf(ip);
    if (!country) continue;
    const list = byCountry.get(country) ?? [];
    list.push(ip);
    byCountry.set(country, list);
  }
  const countries = [...byCountry.keys()].sort();
  const out: WorldAddress[] = [];
  for (let round = 0; out.length < options.count; round++) {
    let added = false;
    for (const country of countries) {
      const ip = byCountry.get(country)?.[round];
      if (ip === undefined) continue;
      out.push({ ip, countryCode: country });
      added = true;
      if (out.length === options.count) break;
    }
    if (!added) break; // every country exhausted: fewer addresses than asked for
  }
  return out;
}

/** Number of distinct countries among addresses. */
export function countryCount(addresses: readonly WorldAddress[]): number {
  return new Set(addresses.map((a) => a.countryCode)).size;
}

/** The name bench cache `index` registers under (known to the server's registry: no DNS). */
export function cacheHostname(index: number, address: WorldAddress): string {
  return `cache-${index}.${address.countryCode.toLowerCase()}.bench.test`;
}

/**
 * The heartbeat of bench cache `index` in the original agent's wire form (numbers as strings, as real
 * agents send them). Load varies with `round`, so later rounds are real updates.
 */
export function cacheHeartbeat(index: number, address: WorldAddress, options: { round: number; seed: number; nowS: number }): Record<string, unknown> {
  const random = createRandom(options.seed ^ Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(options.round + 1, 0x85ebca6b));
  const upstreams = ['both', 'both', 'cvmfs', 'frontier'] as const;
  return {
    uuid: `bench${String(index).padStart(6, '0')}`,
    hostname: cacheHostname(index, address),
    cache_port: '3128',
    cache_type: index % 10 === 0 ? 'varnish' : 'squid',
    verified: index % 3 !== 0,
    max_load: '122000',
    upstream: upstreams[index % upstreams.length],
    public_ip: address.ip,
    private_ip: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
    timestamp: options.nowS,
    load: Math.round(random() * 60_000 * 100) / 100,
  };
}

/** Point Nemo, the ocean pole of inaccessibility: no bench cache is near it. */
export const SENTINEL_POSITION = Object.freeze({ latitude: -48.876667, longitude: -123.393333 });

/**
 * A marker heartbeat published after a batch. Heartbeats of one queue are handled in order, so once a
 * lookup at the sentinel's position returns `hostname`, every heartbeat published before it is in.
 */
export function sentinelHeartbeat(mark: string, nowS: number): { hostname: string; body: Record<string, unknown> } {
  const hostname = `sentinel-${mark}.bench.test`;
  return {
    hostname,
    body: {
      uuid: 'benchsentinel',
      hostname,
      cache_port: '3128',
      cache_type: 'squid',
      verified: true,
      max_load: '122000',
      upstream: 'both',
      timestamp: nowS,
      load: 0,
      latitude: SENTINEL_POSITION.latitude,
      longitude: SENTINEL_POSITION.longitude,
    },
  };
}
