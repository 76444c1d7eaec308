import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisReplicaSet } from '../../support/redis.js';
import { redisAvailable } from '../../support/services.js';

const redis = await redisAvailable();

describe.runIf(redis)('Redis replay ledger: the last seq of each agent, shared by replicas (real Redis)', () => {
  const set = redisReplicaSet();
  const { prefix } = set;
  const replica = () => set.replica();
  let inspector: Redis;

  beforeAll(() => {
    inspector = set.inspector();
  });

  afterAll(() => set.close());

  it('takes one of many copies of a seq claimed at once by two replicas, and only seqs above it after', async () => {
    const [a, b] = [await replica(), await replica()];
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claimSeq!('uvic/one', 5, 1_000, 60_000)));
    expect(claims.filter((c) => c.ok)).toHaveLength(1);
    expect(claims.filter((c) => !c.ok)).toEqual(Array.from({ length: 9 }, () => ({ ok: false, lastSeq: 5 })));
    expect(await b.claimSeq!('uvic/one', 4, 1_000, 60_000)).toEqual({ ok: false, lastSeq: 5 });
    expect(await b.claimSeq!('uvic/one', 6, 2_000, 60_000)).toEqual({ ok: true });
    expect(await a.claimSeq!('uvic/other', 1, 2_000, 60_000)).toEqual({ ok: true }); // per agent
  });

  it('keeps seq and timestamp under the deployment prefix with a TTL, and a new replica sees them', async () => {
    const a = await replica();
    expect(await a.claimSeq!('uvic/kept', 1_795_321_580_959, 1_795_321_580_959, 60_000)).toEqual({ ok: true });
    const key = `${prefix}seq:uvic/kept`;
    expect(await inspector.hgetall(key)).toEqual({ seq: '1795321580959', timestamp: '1795321580959' });
    const ttl = await inspector.pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await a.close();
    const restarted = await replica();
    expect(await restarted.claimSeq!('uvic/kept', 1_795_321_580_959, 1_795_321_580_959, 60_000)).toEqual({ ok: false, lastSeq: 1_795_321_580_959 });
  });
});
