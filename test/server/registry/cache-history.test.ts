import { describe, expect, it } from 'vitest';
import { createCacheHistory, recordingHistory } from '../../../server/registry/cache-history.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';
import { createVerificationHistory } from '../../../server/registry/verification-history.js';
import { cacheEntry, heartbeat } from '../../support/cache-entry.js';
import { createManualClock } from '../../support/clock.js';

const START = Date.UTC(2026, 0, 1);

describe('verification history', () => {
  it('keeps the last outcomes of each cache, newest first, each once', () => {
    const h = createVerificationHistory({ maxOutcomes: 3, maxCaches: 10 });
    for (let i = 1; i <= 5; i++) h.record('a', { ok: i % 2 === 0, reason: i % 2 === 0 ? undefined : 'timeout: no answer within 3000 ms', checkedMs: i });
    h.record('a', { ok: false, reason: 'timeout: no answer within 3000 ms', checkedMs: 5 }); // the same outcome again
    expect(h.outcomes('a').map((o) => [o.checkedMs, o.ok])).toEqual([
      [5, false],
      [4, true],
      [3, false],
    ]);
    expect(h.outcomes('b')).toEqual([]);
  });

  it('holds at most maxCaches caches and forgets those not listed', () => {
    const h = createVerificationHistory({ maxOutcomes: 3, maxCaches: 2 });
    for (const id of ['a', 'b', 'c']) h.record(id, { ok: true, checkedMs: 1 });
    expect(h.size()).toBe(2);
    expect(h.outcomes('a')).toEqual([]);
    h.retain((id) => id === 'c');
    expect(h.size()).toBe(1);
  });
});

describe('a registry recording history', () => {
  const setup = () => {
    const clock = createManualClock(START);
    const history = createCacheHistory({ clock, maxCaches: 100 });
    const inner = createMemoryRegistry({ ttlMs: 180_000, clock });
    return { clock, history, inner, registry: recordingHistory(inner, history) };
  };
  const beat = (id: string, atMs: number, load: number) =>
    cacheEntry(heartbeat({ uuid: id, load, requestRate: 12.5, clientCount: 3, timestamp: atMs / 1000 }), { createdMs: START, lastActiveMs: atMs });

  it('takes a sample from each entry put, stamped when its heartbeat arrived', async () => {
    const { clock, history, registry } = setup();
    await registry.put(beat('a', clock.now(), 100));
    clock.advance(30_000);
    await registry.put(beat('a', clock.now(), 200));
    expect(history.load.samples('a')).toEqual([
      { atMs: START, load: 100, maxLoad: 1000, requestRate: 12.5, clientCount: 3 },
      { atMs: START + 30_000, load: 200, maxLoad: 1000, requestRate: 12.5, clientCount: 3 },
    ]);
  });

  it('records verification outcomes of listed caches only', async () => {
    const { clock, history, registry } = setup();
    await registry.put(beat('a', clock.now(), 100));
    await registry.setVerification('a', { ok: false, reason: 'refused: connection refused', checkedMs: clock.now() });
    await registry.setVerification('gone', { ok: true, checkedMs: clock.now() });
    expect(history.verification.outcomes('a')).toEqual([{ ok: false, reason: 'refused: connection refused', checkedMs: START }]);
    expect(history.verification.size()).toBe(1);
  });

  it('forgets a cache that says goodbye, is removed, or expires', async () => {
    const { clock, history, inner, registry } = setup();
    for (const id of ['bye', 'expires', 'elsewhere', 'stays']) {
      await registry.put(beat(id, clock.now(), 1));
      await registry.setVerification(id, { ok: true, checkedMs: clock.now() });
    }
    await registry.remove('bye');
    expect(history.load.samples('bye')).toEqual([]);
    expect(history.verification.outcomes('bye')).toEqual([]);
    // Removed behind this decorator's back (as another replica's removal reaches a Redis view): gone at the next sweep.
    await inner.remove('elsewhere');
    clock.advance(100_000);
    await registry.put(beat('stays', clock.now(), 2));
    clock.advance(100_000); // 'expires' is past its TTL
    await registry.sweep();
    expect(history.load.size()).toBe(1);
    expect(history.verification.size()).toBe(1);
    expect(history.load.samples('stays')).toHaveLength(2);
  });
});
