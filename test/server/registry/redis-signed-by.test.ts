import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../shared/clock.js';
import { decodeEntry, encodeData, parseHashFields } from '../../../server/registry/redis-codec.js';
import type { CacheEntry } from '../../../server/model/cache.js';
import { redisReplicaSet } from '../../support/redis.js';
import { originalHeartbeat, waitFor } from '../../support/server.js';
import { redisAvailable } from '../../support/services.js';
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
  const set = redisReplicaSet({ resyncMs: 500 });
  const replica = () => set.replica();
  afterAll(() => set.close());

  it('shows the key to a running replica (pub/sub) and to one started later (load)', async () => {
    const [a, b] = [await replica(), await replica()];
    const e = entry('uvic');
    await a.put(e);
    expect((await waitFor(() => b.get(e.id), { what: 'replica b to see the entry' }))?.signedBy).toBe('uvic');
    const c = await replica();
    expect(c.get(e.id)?.signedBy).toBe('uvic');
  });
});
