import { Redis } from 'ioredis';
import { systemClock } from '../../shared/clock.js';
import { createSilentLogger } from '../../shared/logger.js';
import { createRedisRegistry, type RedisRegistry } from '../../server/registry/redis.js';
import { REDIS_URL, uniqueName } from './services.js';

/** A plain client for tests: inspect keys, kill a test's own connections, clean up. */
export function testRedis(): Redis {
  return new Redis(REDIS_URL, { connectionName: uniqueName('shoal-test-inspector') });
}

/** A key prefix no other test or helper uses. */
export function uniquePrefix(): string {
  return `${uniqueName('shoal-test')}:`;
}

/** Deletes every key under `prefix` (never anything else). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Ids of the connections whose client name contains `nameContains`. */
export async function clientIds(redis: Redis, nameContains: string): Promise<string[]> {
  const list = (await redis.client('LIST')) as string;
  const ids: string[] = [];
  for (const line of list.split('\n')) {
    const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '';
    if (id && name.includes(nameContains)) ids.push(id);
  }
  return ids;
}

/** CLIENT KILL for the connections whose name contains `nameContains` (a test's own); returns the killed ids. */
export async function killClients(redis: Redis, nameContains: string): Promise<string[]> {
  const ids = await clientIds(redis, nameContains);
  for (const id of ids) await redis.client('KILL', 'ID', id);
  return ids;
}

/** The Redis URL's host and port (for a proxy in front of it). */
export function redisAddress(): { host: string; port: number } {
  const url = new URL(REDIS_URL);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

/**
 * Redis registry replicas sharing one fresh key prefix, for tests: `replica()` opens one (loaded), `close()`
 * closes them all and deletes every key under the prefix. Call `close()` in afterAll.
 */
export function redisReplicaSet(options: { resyncMs?: number } = {}): {
  prefix: string;
  inspector: () => Redis;
  replica(): Promise<RedisRegistry>;
  close(): Promise<void>;
} {
  const prefix = uniquePrefix();
  const open: RedisRegistry[] = [];
  let inspector: Redis | null = null;
  const inspect = () => (inspector ??= testRedis());
  return {
    prefix,
    inspector: inspect,
    async replica() {
      const r = createRedisRegistry(
        { url: REDIS_URL, prefix, ttlMs: 60_000, resyncMs: options.resyncMs ?? 60_000, clientName: `${prefix}replica` },
        { clock: systemClock, logger: createSilentLogger() },
      );
      open.push(r);
      if (!(await r.waitLoaded(10_000))) throw new Error('test replica did not load its view from Redis within 10 s');
      return r;
    },
    async close() {
      for (const r of open.splice(0)) await r.close();
      await deleteKeys(inspect(), prefix);
      await inspector?.quit();
      inspector = null;
    },
  };
}
