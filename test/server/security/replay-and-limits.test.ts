import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../shared/clock.js';
import { parseHeartbeat } from '../../../shared/heartbeat.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';
import type { CacheEntry } from '../../../server/registry/types.js';
import { capacityRefusal, createRateLimiter, sizeRefusal } from '../../../server/security/limits.js';
import { createReplayGuard } from '../../../server/security/replay.js';

const T0 = Date.UTC(2026, 0, 1);

describe('replay guard', () => {
  it('accepts timestamps within the window and refuses those outside, either way', () => {
    const clock = createManualClock(T0);
    const replay = createReplayGuard({ windowS: 30, capacity: 10, clock });
    expect(replay.check('a', 1, T0 / 1000 + 30)).toBeNull();
    expect(replay.check('a', 1, T0 / 1000 - 30)).toBeNull();
    expect(replay.check('a', 1, T0 / 1000 + 31)?.reason).toBe('stale');
    expect(replay.check('a', 1, T0 / 1000 - 31)?.reason).toBe('stale');
  });

  it('refuses a seq that does not increase, per agent', () => {
    const clock = createManualClock(T0);
    const replay = createReplayGuard({ windowS: 30, capacity: 10, clock });
    replay.commit('a', 5);
    expect(replay.check('a', 5, T0 / 1000)?.reason).toBe('replay');
    expect(replay.check('a', 4, T0 / 1000)?.reason).toBe('replay');
    expect(replay.check('a', 6, T0 / 1000)).toBeNull();
    expect(replay.check('b', 1, T0 / 1000)).toBeNull();
  });

  it('stays within its capacity: forgets agents only once their messages can no longer pass the window', () => {
    const clock = createManualClock(T0);
    const replay = createReplayGuard({ windowS: 30, capacity: 2, clock });
    replay.commit('a', 1);
    replay.commit('b', 1);
    clock.advance(59_000); // a and b were seen less than 2 windows ago: still needed
    expect(replay.check('c', 1, clock.now() / 1000)?.reason).toBe('replay_cache_full');
    expect(replay.check('a', 1, clock.now() / 1000)?.reason).toBe('replay'); // a known agent is still checked
    clock.advance(2_000);
    expect(replay.check('c', 1, clock.now() / 1000)).toBeNull();
    replay.commit('c', 1);
    expect(replay.size).toBeLessThanOrEqual(2);
  });
});

describe('rate limiter', () => {
  it('lets an agent send its allowance per minute, then refuses until the minute ends', () => {
    const clock = createManualClock(T0);
    const rate = createRateLimiter({ perMinute: 3, capacity: 10, clock });
    expect([rate.take('a'), rate.take('a'), rate.take('a')]).toEqual([null, null, null]);
    expect(rate.take('a')?.reason).toBe('rate_limited');
    expect(rate.take('b')).toBeNull(); // others are not affected
    clock.advance(60_000);
    expect(rate.take('a')).toBeNull();
  });

  it('never tracks more agents than its capacity', () => {
    const clock = createManualClock(T0);
    const rate = createRateLimiter({ perMinute: 3, capacity: 100, clock });
    for (let i = 0; i < 100; i++) expect(rate.take(`agent${i}`)).toBeNull();
    expect(rate.take('one-too-many')?.reason).toBe('rate_table_full');
    expect(rate.take('agent5')).toBeNull(); // known agents keep their count
    clock.advance(60_000);
    expect(rate.take('one-too-many')).toBeNull();
    expect(rate.size).toBeLessThanOrEqual(100);
  });
});

describe('size and capacity limits', () => {
  it('refuses a body over the byte limit, counting bytes not characters', () => {
    expect(sizeRefusal('x'.repeat(100), 100)).toBeNull();
    expect(sizeRefusal('é'.repeat(51), 100)?.reason).toBe('too_large');
    expect(sizeRefusal(Buffer.alloc(101), 100)?.reason).toBe('too_large');
  });

  it('refuses new caches past the registry and site limits, never updates of listed ones', async () => {
    const clock = createManualClock(T0);
    const registry = createMemoryRegistry({ ttlMs: 180_000, clock });
    const limits = { maxMessageBytes: 1000, maxCaches: 3, maxCachesPerSite: 2, maxHeartbeatsPerMinute: 10, maxTrackedAgents: 10 };
    const hb = (uuid: string, site?: string) => {
      const p = parseHeartbeat({ uuid, hostname: 'h', cache_port: 1, timestamp: 1, ...(site ? { site } : {}) });
      if (!p.ok) throw new Error(p.reason);
      return p.heartbeat;
    };
    const put = (uuid: string, site?: string, signedBy: string | null = null) =>
      registry.put({ id: uuid, heartbeat: hb(uuid, site), location: null, unit: null, createdMs: T0, lastActiveMs: T0, verification: null, signedBy } satisfies CacheEntry);
    await put('a', 'uvic');
    await put('b', 'uvic');
    expect(capacityRefusal(registry, hb('c', 'uvic'), null, limits)?.reason).toBe('site_full');
    expect(capacityRefusal(registry, hb('a', 'uvic'), null, limits)).toBeNull();
    expect(capacityRefusal(registry, hb('c', 'cern'), null, limits)).toBeNull();
    await put('k1', undefined, 'key1');
    expect(capacityRefusal(registry, hb('d'), null, limits)?.reason).toBe('registry_full');
    expect(capacityRefusal(registry, hb('k1'), 'key1', limits)).toBeNull();
  });
});
