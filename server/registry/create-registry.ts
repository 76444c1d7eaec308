import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { DEFAULT_SHARED_QUEUE, type ServerConfig } from '../config.js';
import { createMemoryRegistry } from './memory.js';
import type { Registry } from './types.js';

/** How long start-up waits for the first load from Redis before serving anyway (unready, `loading`). */
const INITIAL_LOAD_WAIT_MS = 5000;

/** The registry the config asks for: Redis (shared by replicas) when `redisUrl` is set, else memory. */
export async function createRegistry(config: ServerConfig, deps: { clock: Clock; logger: Logger }): Promise<Registry> {
  const ttlMs = config.cacheTtl * 1000;
  if (!config.redisUrl) return createMemoryRegistry({ ttlMs, clock: deps.clock });
  // Loaded only in Redis mode: ioredis and its dependencies weigh ~11 MB of RSS a memory-mode server never uses.
  const { createRedisRegistry } = await import('./redis.js');
  const registry = createRedisRegistry(
    {
      url: config.redisUrl,
      prefix: config.redisPrefix,
      ttlMs,
      resyncMs: config.redisResyncInterval * 1000,
      clientName: `shoal-server:${config.redisPrefix}`,
    },
    deps,
  );
  // A replica that restarts reloads everything the registry held before it answers; if Redis is away it
  // starts anyway (HTTP up, /readyz "loading") and loads as soon as Redis answers.
  if (!(await registry.waitLoaded(INITIAL_LOAD_WAIT_MS))) {
    deps.logger.warn({ reason: registry.health().reason }, 'Redis not reachable at start; serving an empty view until it is');
  }
  return registry;
}

/**
 * The queue to consume: the configured one, else in Redis mode one shared durable queue (competing
 * consumers: each heartbeat is handled by one replica, the registry shares it), else a private queue.
 */
export function heartbeatQueue(config: ServerConfig): string {
  return config.queue || (config.redisUrl ? DEFAULT_SHARED_QUEUE : '');
}
