import type { Clock } from '../../shared/clock.js';
import type { NetworkMatcher } from '../geo/networks.js';
import type { Logger } from '../../shared/logger.js';
import type { GeoIp } from '../geo/geoip.js';
import type { LookupService } from '../lookup/nearest.js';
import type { DrainList } from '../registry/drains.js';
import type { Metrics } from '../metrics.js';
import type { NameLocator } from '../geo/name-positions.js';
import type { Registry } from '../registry/types.js';

/** What the HTTP app needs; built by main (or a test) and handed in. */
export interface ServerDeps {
  registry: Registry;
  lookup: LookupService;
  geoip: GeoIp;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  trustedProxies: NetworkMatcher;
  defaultCount: number;
  /** Max load (kB/s) shown for caches that report none; the status page's load bars need it. */
  defaultMaxLoad?: number;
  /** Serve `GET /bench/bare` (the benchmark's baseline route). */
  benchRoute?: boolean;
  /** Readiness of the heartbeat consumer; absent when the server runs without one. */
  amqpState?: () => 'connecting' | 'connected' | 'closed';
  /** PAC proxy lists end with DIRECT (default true). */
  pacDirect?: boolean;
  /** Caches an operator is draining (never offered). */
  drains?: DrainList;
  /** Bearer token of the admin routes; absent or empty: the admin routes are off. */
  adminToken?: string;
  /** Places names for the CVMFS geo API; absent: a locator built from geoip and registry (with system DNS). */
  names?: NameLocator;
}
