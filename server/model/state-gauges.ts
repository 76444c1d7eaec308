import { Gauge } from 'prom-client';
import type { Clock } from '../../shared/clock.js';
import type { DrainList } from '../registry/drains.js';
import type { GeoIp } from '../geo/geoip.js';
import type { Metrics } from '../metrics.js';
import type { Registry } from '../registry/types.js';
import { OFFER_STATES, offerState, type OfferState } from './state.js';
import { CLOCK_DRIFT_LIMIT_S, hasClockDrift } from './cache.js';

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
      const counts = Object.fromEntries(OFFER_STATES.map((s) => [s, 0])) as Record<OfferState, number>;
      for (const e of registry.snapshot()) counts[offerState(e, deps.defaultMaxLoad, drains.has)]++;
      for (const s of OFFER_STATES) this.set({ state: s }, counts[s]);
    },
  });
  new Gauge({
    name: 'shoal_caches_clock_drift',
    help: `Live caches whose last heartbeat was stamped more than ${CLOCK_DRIFT_LIMIT_S} s from the server clock`,
    registers: [metrics.registry],
    collect() {
      let drifting = 0;
      for (const e of registry.snapshot()) if (hasClockDrift(e)) drifting++;
      this.set(drifting);
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
