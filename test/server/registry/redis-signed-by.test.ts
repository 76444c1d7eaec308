import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../shared/clock.js';
import { createSilentLogger } from '../../../shared/logger.js';
import { decodeEntry, encodeData, parseHashFields } from '../../../server/registry/redis-codec.js';
import { createRedisRegistry, type RedisRegistry } from '../../../server/registry/redis.js';
import type { CacheEntry } from '../../../server/model/cache.js';
import { deleteKeys, testRedis, uniquePrefix } from '../../support/redis.js';
import { originalHeartbeat, waitFor } from '../../support/server.js';
import { REDIS_URL, redisAvailable } from '../../support/services.js';
import { cacheEntry, parsedHeartbeat } from '../../support/cache-entry.js';

const redis = await redisAvailable();

function entry(signedBy: string | null): CacheEntry {
  const now = systemClock.now();
  return cacheEntry(parsedHeartbeat(originalHeartbeat()), { createdMs: now, lastActiveMs: now, signedBy });
}

describe('Redis codec: the signing key of a cache', () => {
  it('round-trips signed_by, and reads entries stored before it existed as unsigned', () => {
    const e = entry('uvic');
    const stored = parseHashFields([encodeData(e), '1', '1', null]);
    if (!stored || 'error' in stored) throw new Error('must parse');
    expect(decodeEntry(e.id, stored)).toMatchObject({ entry: { signedBy: 'uvic' } });
    const old = parseHashFields([JSON.stringify({ heartbeat: JSON.parse(encodeData(e)).heartbeat, location: null }), '1', '1', null]);
    if (!old || 'error' in old) throw new Error('must parse');
    expect(decodeEntry(e.id, old)).toMatchObject({ entry: { signedBy: null } });
  });

  it('refuses a stored key id that is not one', () => {
    const data = JSON.stringify({ ...JSON.parse(encodeData(entry('uvic'))), signed_by: '__proto__' });
    expect(parseHashFields([data, '1', '1', null])).toHaveProperty('error');
  });
});

describe.runIf(redis)('Redis registry keeps the signing key for every replica (real Redis)', () => {
  const prefix = uniquePrefix();
  let inspector: Redis;
  const open: RedisRegistry[] = [];
  const replica = async () => {
    const r = createRedisRegistry({ url: REDIS_URL, prefix, ttlMs: 60_000, resyncMs: 500, clientName: `${prefix}replica` }, { clock: systemClock, logger: createSilentLogger() });
    open.push(r);
    expect(await r.waitLoaded(10_000)).toBe(true);
    return r;
  };

  beforeAll(() => {
    inspector = testRedis();
  });
  afterAll(async () => {
    for (const r of open) await r.close();
    await deleteKeys(inspector, prefix);
    await inspector.quit();
  });

  it('shows the key to a running replica (pub/sub) and to one started later (load)', async () => {
    const [a, b] = [await replica(), await replica()];
    const e = entry('uvic');
    await a.put(e);
    expect((await waitFor(() => b.get(e.id), { what: 'replica b to see the entry' }))?.signedBy).toBe('uvic');
    const c = await replica();
    expect(c.get(e.id)?.signedBy).toBe('uvic');
  });
});
