import { Redis } from 'ioredis';
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
