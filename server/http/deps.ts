import type { AmqpState } from '../../shared/amqp.js';
import type { Clock } from '../../shared/clock.js';
import type { NetworkMatcher } from '../geo/networks.js';
import type { Logger } from '../../shared/logger.js';
import type { GeoIp } from '../geo/geoip.js';
import type { LookupService } from '../lookup/nearest.js';
import type { DrainList } from '../registry/drains.js';
import type { Metrics } from '../metrics.js';
import type { Registry } from '../registry/types.js';
import type { CacheHistory } from '../registry/cache-history.js';
import type { Locality } from '../geo/sites.js';
import type { UnknownCallerMode } from './unknown-caller.js';

/** What `/healthz` and `/readyz` say of the heartbeat consumer; `disabled` when the server runs without one. */
export type AmqpReadiness = AmqpState | 'disabled';

/** What the HTTP app needs; built by start.ts and handed in, every field given. */
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
  defaultMaxLoad: number;
  /** Serve `GET /bench/*` (the benchmark's baselines); the routes are loaded only then. */
  benchRoute: boolean;
  /** Readiness of the heartbeat consumer. */
  amqpState: () => AmqpReadiness;
  /** PAC proxy lists end with DIRECT. */
  pacDirect: boolean;
  /** What the PAC file and the original routes answer a caller with no location in no site (unknown-caller.ts). */
  unknownCaller: UnknownCallerMode;
  /** Site networks, the same the lookup uses: the WLCG WPAD export gives a private address only inside its site. */
  locality: Locality;
  /** Caches an operator is draining (never offered); the same list the lookup consults. */
  drains: DrainList;
  /** Bearer token of the admin routes; empty: the admin routes are off. */
  adminToken: string;
  /** The registry is still filling after a start (memory registry, within `--warmup`): /readyz 503 `warming`, a note in answers. */
  warming: () => boolean;
  /** Days after its build from which the GeoIP database is stale (`--geoip-stale-days`; 0: never): /readyz and the status page say so. */
  geoipStaleDays: number;
  /** Path prefix every route is served under (`--base-path`, e.g. `/shoal`, no trailing slash); '' for the root. */
  basePath: string;
  /** Recent load samples and verification outcomes per cache (this process's): `/api/v1/caches/<id>` and the cache page. */
  history: CacheHistory;
}
