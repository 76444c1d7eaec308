import { Gauge } from 'prom-client';
import type { Clock } from '../../shared/clock.js';
import type { DrainList } from '../registry/drains.js';
import type { GeoIp } from '../geo/geoip.js';
import type { Metrics } from '../metrics.js';
import type { CacheEntry, Registry } from '../registry/types.js';

export const CACHE_STATES = ['ok', 'overloaded', 'failing', 'unverified', 'draining'] as const;
export type CacheState = (typeof CACHE_STATES)[number];

/** One state per cache, the most telling first: an operator's drain, then the server's check, then the agent's. */
export function cacheState(e: CacheEntry, opts: { defaultMaxLoad: number; isDrained: (id: string) => boolean }): CacheState {
  if (opts.isDrained(e.id)) return 'draining';
  if (e.verification && !e.verification.ok) return 'unverified';
  if (e.heartbeat.status === 'failing') return 'failing';
  if (e.heartbeat.load >= (e.heartbeat.maxLoad ?? opts.defaultMaxLoad)) return 'overloaded';
  return 'ok';
}

/** Gauges computed when Prometheus scrapes (no bookkeeping on the hot path): caches by state, GeoIP age. */
export function registerStateGauges(
  metrics: Metrics,
  deps: { registry: Registry; geoip: GeoIp & { loadedAt?: () => number }; clock: Clock; drains: DrainList; defaultMaxLoad: number },
): void {
  const { registry, geoip, clock, drains } = deps;
  new Gauge({
    name: 'shoal_caches',
    help: 'Live caches by state (ok|overloaded|failing|unverified|draining)',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    collect() {
      const counts = Object.fromEntries(CACHE_STATES.map((s) => [s, 0])) as Record<CacheState, number>;
      for (const e of registry.snapshot()) counts[cacheState(e, { defaultMaxLoad: deps.defaultMaxLoad, isDrained: drains.has })]++;
      for (const s of CACHE_STATES) this.set({ state: s }, counts[s]);
    },
  });
  new Gauge({
    name: 'shoal_geoip_database_age_seconds',
    help: 'Age of the GeoIP database in use, from its build time',
    registers: [metrics.registry],
    collect() {
      this.set(Math.max(0, (clock.now() - geoip.builtAt()) / 1000));
    },
  });
  new Gauge({
    name: 'shoal_geoip_loaded_timestamp_seconds',
    help: 'When the GeoIP database in use was loaded (Unix seconds)',
    registers: [metrics.registry],
    collect() {
      if (geoip.loadedAt) this.set(geoip.loadedAt() / 1000);
    },
  });
}
