import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../support/clock.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';
import type { CacheEntry } from '../../../server/model/cache.js';
import { createSeededRandom as createRandom } from '../../../bench/random.js';
import { host } from '../../support/identity.js';
import { cacheEntry, heartbeat } from '../../support/cache-entry.js';


const TTL_MS = 10_000;

function entry(id: string, lastActiveMs: number, load = 0): CacheEntry {
  return cacheEntry(heartbeat({ uuid: id, hostname: host(`${id}.test`), maxLoad: null, load, timestamp: lastActiveMs / 1000 }), { createdMs: lastActiveMs, lastActiveMs });
}

describe('memory registry view', () => {
  it('stays exactly the live entries, in join order, through any mix of heartbeats, expiry, removals and sweeps', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = createRandom(seed);
      const clock = createManualClock();
      const registry = createMemoryRegistry({ ttlMs: TTL_MS, clock });
      // The obvious model: a Map in insertion order, filtered by TTL on every read.
      const model = new Map<string, CacheEntry>();
      const modelLive = () => [...model.values()].filter((e) => e.lastActiveMs + TTL_MS > clock.now());
      const handedOut: { view: readonly CacheEntry[]; copy: CacheEntry[] }[] = [];
      for (let step = 0; step < 3000; step++) {
        const id = `c${Math.floor(random() * 40)}`;
        const r = random();
        if (r < 0.55) {
          // A heartbeat, sometimes an old one (as a Redis replay brings).
          const at = clock.now() - (random() < 0.05 ? Math.floor(random() * 2 * TTL_MS) : 0);
          const e = entry(id, at, step);
          const wasLive = model.has(id) && (model.get(id) as CacheEntry).lastActiveMs + TTL_MS > clock.now();
          if (model.has(id) && !wasLive) model.delete(id);
          model.set(id, e);
          expect(await registry.put(e)).toBe(wasLive ? 'updated' : 'joined');
        } else if (r < 0.6) {
          expect(await registry.remove(id)).toEqual(model.get(id));
          model.delete(id);
        } else if (r < 0.65) {
          const state = { ok: random() < 0.5, checkedMs: clock.now() };
          await registry.setVerification(id, state);
          const e = model.get(id);
          if (e) model.set(id, { ...e, verification: state });
        } else if (r < 0.75) {
          clock.advance(Math.floor(random() * 3000));
        } else if (r < 0.78) {
          const gone = await registry.sweep();
          const expired = [...model.values()].filter((e) => e.lastActiveMs + TTL_MS <= clock.now());
          for (const e of expired) model.delete(e.id);
          expect(gone.map((e) => e.id).sort()).toEqual(expired.map((e) => e.id).sort());
        } else if (r < 0.88) {
          expect(registry.size()).toBe(modelLive().length);
        } else {
          const view = registry.snapshot();
          expect(view).toEqual(modelLive());
          handedOut.push({ view, copy: [...view] });
        }
        expect(registry.get(id)).toEqual(modelLive().find((e) => e.id === id));
      }
      // A view once handed out never changes afterwards (lookups index views by identity).
      for (const { view, copy } of handedOut) expect(view).toEqual(copy);
    }
  });

  it('hands out the same view until something changes, and a new one after a heartbeat', async () => {
    const clock = createManualClock();
    const registry = createMemoryRegistry({ ttlMs: TTL_MS, clock });
    await registry.put(entry('a', clock.now()));
    await registry.put(entry('b', clock.now()));
    const first = registry.snapshot();
    expect(registry.snapshot()).toBe(first);
    clock.advance(1000);
    expect(registry.snapshot()).toBe(first);
    const refreshed = entry('a', clock.now(), 7);
    await registry.put(refreshed);
    const second = registry.snapshot();
    expect(second).not.toBe(first);
    expect(second).toEqual([refreshed, first[1]]);
    expect(first[0]?.heartbeat.load).toBe(0);
  });

  it('drops an entry from the view the moment its TTL ends, without a sweep', async () => {
    const clock = createManualClock();
    const registry = createMemoryRegistry({ ttlMs: TTL_MS, clock });
    await registry.put(entry('a', clock.now()));
    clock.advance(5000);
    await registry.put(entry('b', clock.now()));
    expect(registry.snapshot().map((e) => e.id)).toEqual(['a', 'b']);
    clock.advance(TTL_MS - 5000);
    expect(registry.snapshot().map((e) => e.id)).toEqual(['b']);
    expect(registry.size()).toBe(1);
    // It comes back as a new cache, after the ones that stayed.
    await registry.put(entry('c', clock.now()));
    expect(await registry.put(entry('a', clock.now()))).toBe('joined');
    expect(registry.snapshot().map((e) => e.id)).toEqual(['b', 'c', 'a']);
  });
});
