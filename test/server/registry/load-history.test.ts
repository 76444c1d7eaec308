import { describe, expect, it } from 'vitest';
import { createLoadHistory, type LoadSample } from '../../../server/registry/load-history.js';
import { createManualClock } from '../../support/clock.js';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);

const sample = (atMs: number, fields: Partial<LoadSample> = {}): LoadSample => ({ atMs, load: 100, maxLoad: 1000, requestRate: null, clientCount: null, ...fields });

function history(options: { maxSamples?: number; maxCaches?: number } = {}) {
  const clock = createManualClock(START);
  return { clock, history: createLoadHistory({ clock, windowMs: HOUR, maxSamples: options.maxSamples ?? 120, maxCaches: options.maxCaches ?? 100 }) };
}

describe('load history', () => {
  it('keeps what each heartbeat said, oldest first, with nulls for figures the agent did not send', () => {
    const { clock, history: h } = history();
    h.record('a', sample(START, { load: 12.3, requestRate: 153.27, clientCount: 42 }));
    clock.advance(30_000);
    h.record('a', sample(clock.now(), { load: 97_000.5, maxLoad: null }));
    expect(h.samples('a')).toEqual([
      { atMs: START, load: 12.3, maxLoad: 1000, requestRate: 153.27, clientCount: 42 },
      { atMs: START + 30_000, load: 97_000.5, maxLoad: null, requestRate: null, clientCount: null },
    ]);
    expect(h.samples('unknown')).toEqual([]);
  });

  it('keeps one sample per 30 s bucket, the latest, however fast a cache beats', () => {
    const { clock, history: h } = history();
    expect(h.bucketMs).toBe(30_000);
    // 300 heartbeats a second apart: five minutes, ten buckets.
    for (let i = 0; i < 300; i++) {
      h.record('fast', sample(clock.now(), { load: i }));
      clock.advance(1000);
    }
    const samples = h.samples('fast');
    expect(samples).toHaveLength(10);
    expect(samples.map((s) => s.load)).toEqual([29, 59, 89, 119, 149, 179, 209, 239, 269, 299]);
  });

  it('never holds more than maxSamples for a cache, even when more buckets touch the window: the oldest goes first', () => {
    const { clock, history: h } = history({ maxSamples: 4 });
    // A bucket is a quarter of an hour here; five buckets touch the hour from 0:01 to 1:00.
    for (const [i, minute] of [1, 15, 30, 45, 60].entries()) {
      clock.set(START + minute * 60_000);
      h.record('a', sample(clock.now(), { load: i }));
    }
    expect(h.samples('a').map((s) => s.load)).toEqual([1, 2, 3, 4]);
  });

  it("grows a cache's ring as samples come, then wraps it at maxSamples, keeping the order", () => {
    const { clock, history: h } = history({ maxSamples: 120 });
    // Two hours of heartbeats every 30 s: the ring grows 4, 8, ... 120, then wraps for an hour more.
    for (let i = 0; i < 240; i++) {
      h.record('a', sample(clock.now(), { load: i }));
      if (i === 5) expect(h.samples('a').map((s) => s.load)).toEqual([0, 1, 2, 3, 4, 5]);
      clock.advance(30_000);
    }
    clock.advance(-30_000); // at the last sample
    expect(h.samples('a').map((s) => s.load)).toEqual(Array.from({ length: 120 }, (_, k) => 120 + k));
  });

  it('shows only samples inside the window, and forgets a cache whose newest sample left it', () => {
    const { clock, history: h } = history();
    h.record('a', sample(clock.now(), { load: 1 }));
    clock.advance(40 * 60_000);
    h.record('a', sample(clock.now(), { load: 2 }));
    h.record('b', sample(clock.now(), { load: 3 }));
    clock.advance(30 * 60_000); // the first sample is 70 min old now
    expect(h.samples('a').map((s) => s.load)).toEqual([2]);
    clock.advance(30 * 60_000 + 1); // and the second just over an hour
    expect(h.samples('a')).toEqual([]);
    h.retain(() => true);
    expect(h.size()).toBe(0);
  });

  it('forgets a cache that left (drop, or not listed at a retain)', () => {
    const { clock, history: h } = history();
    for (const id of ['a', 'b', 'c']) h.record(id, sample(clock.now()));
    h.drop('a');
    h.retain((id) => id !== 'b');
    expect(h.samples('a')).toEqual([]);
    expect(h.samples('b')).toEqual([]);
    expect(h.samples('c')).toHaveLength(1);
    expect(h.size()).toBe(1);
  });

  it('holds at most maxCaches caches, forgetting the one heard from longest ago', () => {
    const { clock, history: h } = history({ maxCaches: 2 });
    h.record('a', sample(clock.now()));
    h.record('b', sample(clock.now()));
    clock.advance(30_000);
    h.record('a', sample(clock.now())); // a is heard from again: b is now the oldest
    h.record('c', sample(clock.now()));
    expect(h.size()).toBe(2);
    expect(h.samples('b')).toEqual([]);
    expect(h.samples('a')).toHaveLength(2);
    expect(h.samples('c')).toHaveLength(1);
  });

  it('keeps times in order when the clock goes back', () => {
    const { clock, history: h } = history();
    clock.advance(60_000);
    h.record('a', sample(clock.now(), { load: 1 }));
    h.record('a', sample(clock.now() - 45_000, { load: 2 }));
    expect(h.samples('a')).toEqual([sample(clock.now(), { load: 2 })]);
  });
});
