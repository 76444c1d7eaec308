import { Gauge } from 'prom-client';
import type { Metrics } from '../metrics.js';
import type { Registry } from '../registry/types.js';
import { effectiveMaxLoad, type CacheEntry } from './cache.js';

/** A per-cache figure: a value, or undefined when the cache has none (then it has no series). */
type Figure = (entry: CacheEntry) => number | undefined;

/** Each per-cache gauge: name, help, and the figure it shows. */
const perCache = (defaultMaxLoad: number): { name: string; help: string; figure: Figure }[] => [
  { name: 'shoal_cache_load', help: 'Load of each listed cache, in kB/s out, from its last heartbeat', figure: (e) => e.heartbeat.load },
  {
    name: 'shoal_cache_max_load',
    help: 'Max load each listed cache is ranked against, in kB/s (its own, else --default-max-load)',
    figure: (e) => effectiveMaxLoad(e.heartbeat, defaultMaxLoad),
  },
  {
    name: 'shoal_cache_request_rate',
    help: "HTTP requests a second each listed cache served, from Squid's cache manager (caches whose agent sends it)",
    figure: (e) => e.heartbeat.requestRate,
  },
  {
    name: 'shoal_cache_client_count',
    help: "Clients of each listed cache, from Squid's cache manager (caches whose agent sends it)",
    figure: (e) => e.heartbeat.clientCount,
  },
];

/**
 * Gauges with one series per listed cache (`id`, `hostname`), computed when Prometheus scrapes from the
 * registry's snapshot, so a heartbeat costs nothing more; each scrape starts from no series, so a cache
 * that left has none. Their number is the listed caches' (at most `--max-caches`, and the feed's);
 * `--no-per-cache-metrics` leaves them out for registries too large for that. Label values are the
 * entry's typed id (letters, digits, `_.:-`) and hostname (a DNS name or an IP literal), nothing else.
 */
export function registerCacheGauges(metrics: Metrics, deps: { registry: Registry; defaultMaxLoad: number }): void {
  const { registry } = deps;
  for (const { name, help, figure } of perCache(deps.defaultMaxLoad)) {
    new Gauge({
      name,
      help,
      labelNames: ['id', 'hostname'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const e of registry.snapshot()) {
          const value = figure(e);
          if (value !== undefined) this.set({ id: e.id, hostname: e.heartbeat.hostname }, value);
        }
      },
    });
  }
}
