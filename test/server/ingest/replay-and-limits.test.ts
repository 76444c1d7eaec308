import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../support/clock.js';
import { parseHeartbeat } from '../../../shared/heartbeat.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';
import type { SeqClaim } from '../../../server/registry/types.js';
import type { CacheEntry } from '../../../server/model/cache.js';
import { capacityRefusal, createRateLimiter, sizeRefusal } from '../../../server/ingest/limits.js';
import { createMemoryReplayGuard, createSharedReplayGuard } from '../../../server/ingest/replay.js';

const T0 = Date.UTC(2026, 0, 1);

describe('replay guard (memory)', () => {
  const started = (windowS = 30, capacity = 10) => {
    const clock = createManualClock(T0);
    const replay = createMemoryReplayGuard({ windowS, capacity, clock });
    clock.advance(windowS * 2_000); // past its start, so only the window decides below
    return { clock, replay };
  };

  it('accepts timestamps within the window and refuses those outside, either way', async () => {
    const { clock, replay } = started();
    const now = clock.now() / 1000;
    expect(await replay.claim('a', 1, now + 30)).toBeNull();
    expect(await replay.claim('b', 1, now - 30)).toBeNull();
    expect((await replay.claim('c', 1, now + 31))?.reason).toBe('stale');
    expect((await replay.claim('c', 1, now - 31))?.reason).toBe('stale');
    expect((await replay.claim('c', 1, Number.NaN))?.reason).toBe('stale');
  });

  it('refuses a seq that does not increase, per agent; a refused message records nothing', async () => {
    const { clock, replay } = started();
    const now = clock.now() / 1000;
    expect(await replay.claim('a', 5, now)).toBeNull();
    expect((await replay.claim('a', 5, now))?.reason).toBe('replay');
    expect((await replay.claim('a', 4, now))?.reason).toBe('replay');
    expect((await replay.claim('a', 9, now + 99))?.reason).toBe('stale');
    expect(await replay.claim('a', 6, now)).toBeNull();
    expect(await replay.claim('b', 1, now)).toBeNull();
  });

  it('takes only one of two copies of a message claimed at the same time', async () => {
    const { clock, replay } = started();
    const results = await Promise.all([replay.claim('a', 7, clock.now() / 1000), replay.claim('a', 7, clock.now() / 1000)]);
    expect(results.filter((r) => r === null)).toHaveLength(1);
  });

  it('stays within its capacity: forgets agents only once their messages can no longer pass the window', async () => {
    const { clock, replay } = started(30, 2);
    expect(await replay.claim('a', 1, clock.now() / 1000)).toBeNull();
    expect(await replay.claim('b', 1, clock.now() / 1000)).toBeNull();
    clock.advance(59_000); // a and b were seen less than 2 windows ago: still needed
    expect((await replay.claim('c', 1, clock.now() / 1000))?.reason).toBe('replay_cache_full');
    expect((await replay.claim('a', 1, clock.now() / 1000))?.reason).toBe('replay'); // a known agent is still checked
    clock.advance(2_000);
    expect(await replay.claim('c', 1, clock.now() / 1000)).toBeNull();
    expect(replay.size).toBeLessThanOrEqual(2);
  });

  // The rule (replay.ts): a guard refuses what was stamped before it started, since a restarted process has
  // forgotten the seqs it took before; a window after the start the window check alone decides again.
  it('after a restart, refuses messages stamped before the start, even within the window, and takes newer ones', async () => {
    const clock = createManualClock(T0);
    const before = createMemoryReplayGuard({ windowS: 30, capacity: 10, clock });
    const capturedAt = clock.now() / 1000;
    expect(await before.claim('a', 1, capturedAt)).toBeNull();
    clock.advance(5_000); // kill -9, restart: a new guard that knows nothing
    const after = createMemoryReplayGuard({ windowS: 30, capacity: 10, clock });
    expect((await after.claim('a', 1, capturedAt))?.reason).toBe('before_start');
    expect((await after.claim('a', 2, clock.now() / 1000 - 0.001))?.reason).toBe('before_start');
    expect(await after.claim('a', 2, clock.now() / 1000)).toBeNull();
    clock.advance(31_000);
    expect((await after.claim('a', 3, capturedAt))?.reason).toBe('stale');
  });
});

describe('replay guard (shared store)', () => {
  const ledger = () => {
    const seqs = new Map<string, number>();
    const calls: { agent: string; ttlMs: number; timestampMs: number }[] = [];
    const claimSeq = (agent: string, seq: number, timestampMs: number, ttlMs: number): Promise<SeqClaim> => {
      calls.push({ agent, ttlMs, timestampMs });
      const last = seqs.get(agent);
      if (last !== undefined && seq <= last) return Promise.resolve({ ok: false, lastSeq: last });
      seqs.set(agent, seq);
      return Promise.resolve({ ok: true });
    };
    return { claimSeq, calls };
  };

  it('checks the window itself, then lets the store decide, keeping state for two windows', async () => {
    const clock = createManualClock(T0);
    const store = ledger();
    const replay = createSharedReplayGuard({ windowS: 30, clock, claimSeq: store.claimSeq });
    expect(await replay.claim('k/a', 1, T0 / 1000 - 10)).toBeNull(); // no start rule: the store outlives restarts
    expect((await replay.claim('k/a', 1, T0 / 1000))?.reason).toBe('replay');
    expect((await replay.claim('k/a', 2, T0 / 1000 + 31))?.reason).toBe('stale');
    expect(store.calls).toEqual([
      { agent: 'k/a', ttlMs: 60_000, timestampMs: T0 - 10_000 },
      { agent: 'k/a', ttlMs: 60_000, timestampMs: T0 },
    ]);
  });

  it('refuses signed messages while the store cannot be reached', async () => {
    const replay = createSharedReplayGuard({ windowS: 30, clock: createManualClock(T0), claimSeq: () => Promise.reject(new Error('Connection is closed.')) });
    expect(await replay.claim('k/a', 1, T0 / 1000)).toMatchObject({ reason: 'replay_unavailable', detail: expect.stringContaining('Connection is closed') });
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
