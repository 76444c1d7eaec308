import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';
import type { AmqpLink } from '../shared/amqp.js';
import { amqpSocketOptions } from '../shared/amqp-tls.js';
import type { Clock } from '../shared/clock.js';
import { createNetworkMatcher } from './geo/networks.js';
import type { Logger } from '../shared/logger.js';
import { createHttpApp } from './http/app.js';
import type { ServerConfig } from './config.js';
import { createHeartbeatConsumer } from './ingest/consumer.js';
import { createCoverageLocality } from './geo/coverage-sites.js';
import { relocateCaches } from './geo/cache-location.js';
import { createDrainList, type DrainList } from './registry/drains.js';
import { bundledGeoIpPath, warnIfStale } from './geo/geoip.js';
import { openWatchedGeoIp, type WatchedGeoIp } from './geo/geoip-watch.js';
import { registerStateGauges } from './model/state-gauges.js';
import { registerCacheGauges } from './model/cache-gauges.js';
import { createCacheHistory, recordingHistory, type CacheHistory } from './registry/cache-history.js';
import { createIngest, type Ingest } from './ingest/ingest.js';
import { createFeed, type Feed } from './ingest/feed.js';
import { createLookupService } from './lookup/nearest.js';
import { createAnswerCache } from './lookup/answer-cache.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createRegistry, heartbeatQueue } from './registry/create-registry.js';
import type { Registry } from './registry/types.js';
import { createVerifier, type Verifier } from './verification/verifier.js';
import { createAdmission } from './ingest/admission.js';
import { loadKeyringFile, type Keyring } from './ingest/keyring.js';

export interface RunningServer {
  app: Hono;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  port: number;
  registry: Registry;
  /** Recent load samples and verification outcomes of each cache, as this process saw them. */
  history: CacheHistory;
  ingest: Ingest;
  geoip: WatchedGeoIp;
  metrics: Metrics;
  drains: DrainList;
  /** Null when started with `amqp: false`. */
  consumer: AmqpLink | null;
  /** Null when verification is off (`--no-verify`). */
  verifier: Verifier | null;
  /** The operator feed of caches that run no agent; null without `--feed`. */
  feed: Feed | null;
  /** Re-read the keyring file (SIGHUP); on error the keys in use stay and the error is thrown. */
  reloadKeyring(): void;
  /** Stop taking work, close AMQP (channel, then connection), close HTTP, close the registry. */
  stop(): Promise<void>;
}

/** Builds every server component from a config and serves it. Used by main, the demo and integration tests. */
export async function startServer(config: ServerConfig, deps: { logger: Logger; clock: Clock; amqp?: boolean }): Promise<RunningServer> {
  const { logger, clock } = deps;
  const metrics = createMetrics();
  let keyring: Keyring | null = config.keyringFile ? loadKeyringFile(config.keyringFile, logger) : null;
  const socketOptions = amqpSocketOptions(config);
  const locality = createCoverageLocality({ path: config.coverageFile, intervalMs: config.coverageCheckInterval * 1000, logger });
  const geoip = await openWatchedGeoIp({ path: config.geoipDatabase || bundledGeoIpPath(), intervalMs: config.geoipCheckInterval * 1000, logger, clock });
  // A stale database is said at start and at each load of a changed file, with how to get a current one.
  const geoipLog = logger.child({ component: 'geoip' });
  warnIfStale(geoip, clock.now(), config.geoipStaleDays, geoipLog);
  geoip.onReload(() => void warnIfStale(geoip, clock.now(), config.geoipStaleDays, geoipLog));
  // What this process sees of each cache lately (load samples, verification outcomes), fed by every write
  // through the registry: the cache page and /api/v1/caches/<id> show it.
  const history = createCacheHistory({ clock, maxCaches: config.maxCaches });
  const registry = recordingHistory(await createRegistry(config, { clock, logger }), history);
  // A new GeoIP database moves the caches it locates (and with them the lookup index, made per registry view).
  geoip.onReload(async () => {
    const { checked, moved } = await relocateCaches(registry, geoip);
    logger.info({ component: 'geoip', checked, moved }, 'caches located again with the new GeoIP database');
  });
  // The memory registry is empty after a start until every agent has beaten once: until then /readyz says
  // `warming` and answers say so. A Redis replica has the shared registry (or is `unready` until it has).
  const warmUntil = config.redisUrl ? -Infinity : clock.now() + config.warmup * 1000;
  const drains = createDrainList();
  const answerCacheHits = metrics.answerCache.labels('hit');
  const answerCacheMisses = metrics.answerCache.labels('miss');
  const lookup = createAnswerCache(
    createLookupService({
      registry,
      geoip,
      options: { weights: { distanceWeight: config.distanceWeight, loadExponent: config.loadExponent }, defaultMaxLoad: config.defaultMaxLoad, advertise: config.advertise },
      locality,
      isDrained: drains.has,
      drainsVersion: drains.version,
    }),
    clock,
    { ttlMs: config.answerCacheMs, onLookup: (hit) => (hit ? answerCacheHits : answerCacheMisses).inc() },
  );
  registerStateGauges(metrics, { registry, geoip, clock, drains, defaultMaxLoad: config.defaultMaxLoad });
  if (config.perCacheMetrics) registerCacheGauges(metrics, { registry, defaultMaxLoad: config.defaultMaxLoad });
  const admission = createAdmission({
    options: {
      mode: config.signatureMode,
      keyring: () => keyring,
      windowS: config.signatureWindow,
      limits: {
        maxMessageBytes: config.maxMessageBytes,
        maxCaches: config.maxCaches,
        maxCachesPerSite: config.maxCachesPerSite,
        maxHeartbeatsPerMinute: config.maxHeartbeatsPerMinute,
        maxTrackedAgents: config.maxTrackedAgents,
      },
    },
    registry,
    clock,
  });
  const ingest = createIngest({ registry, geoip, clock, logger, metrics, admission, ttlMs: config.cacheTtl * 1000 });
  // Caches that run no agent (--feed): listed while the feed lists them, read once before the first answer.
  const feed = config.feed
    ? createFeed({
        options: { source: config.feed, intervalMs: config.feedInterval * 1000, ttlMs: config.cacheTtl * 1000, maxCaches: config.maxCaches },
        logger,
        registry,
        geoip,
        clock,
      })
    : null;
  await feed?.start();
  const consumer =
    deps.amqp === false
      ? null
      : createHeartbeatConsumer({
          options: {
            url: config.amqpUrl,
            exchange: config.exchange,
            queue: heartbeatQueue(config),
            bindingKey: '#',
            prefetch: 200,
            ...(socketOptions ? { socketOptions } : {}),
          },
          ingest,
          logger,
          metrics,
        });

  const verifier = config.verify
    ? createVerifier({
        registry,
        clock,
        logger,
        metrics,
        options: {
          urls: config.verifyUrls,
          frontierUrls: config.verifyFrontierUrls,
          intervalMs: config.verifyInterval * 1000,
          timeoutMs: config.verifyTimeout,
          concurrency: config.verifyConcurrency,
          joinRate: config.verifyJoinRate,
          advertise: config.advertise,
        },
        // The operator's coverage networks (not what agents declare): caches there may be probed on any address.
        coverage: locality.networks,
      })
    : null;

  const sweeper = setInterval(() => {
    void registry.sweep().then((gone) => {
      for (const e of gone) {
        metrics.cacheEvents.inc({ event: 'expired' });
        logger.info({ id: e.id, hostname: e.heartbeat.hostname }, 'cache expired (no heartbeat within TTL)');
      }
    });
  }, config.cleanupInterval * 1000);
  sweeper.unref();

  const app = await createHttpApp({
    registry,
    lookup,
    geoip,
    metrics,
    logger,
    clock,
    trustedProxies: createNetworkMatcher(config.trustedProxies),
    defaultCount: config.defaultCount,
    defaultMaxLoad: config.defaultMaxLoad,
    benchRoute: config.benchRoute,
    amqpState: consumer ? consumer.state : () => 'disabled',
    pacDirect: config.pacDirect,
    unknownCaller: config.unknownCaller,
    locality,
    drains,
    adminToken: config.adminToken,
    warming: () => clock.now() < warmUntil,
    geoipStaleDays: config.geoipStaleDays,
    basePath: config.basePath,
    history,
  });

  const server = await listen(app, config.host, config.port);
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  // `url` stays the origin; with --base-path every route is under it (the status page at <url><base>/).
  const served = config.basePath ? `${url}${config.basePath}/` : url;
  logger.info({ url: served, port }, `listening on ${served}`);
  verifier?.start();

  return {
    app,
    url,
    port,
    registry,
    history,
    ingest,
    geoip,
    metrics,
    drains,
    consumer,
    verifier,
    feed,
    reloadKeyring() {
      if (!config.keyringFile) return;
      keyring = loadKeyringFile(config.keyringFile, logger);
      logger.info({ keys: keyring.size }, 'keyring reloaded');
    },
    async stop() {
      clearInterval(sweeper);
      feed?.stop();
      geoip.close();
      locality.close();
      await verifier?.stop();
      if (consumer) await consumer.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await registry.close();
    },
  };
}

function listen(app: Hono, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname, port }, () => resolve(server));
    server.once('error', reject);
  });
}
