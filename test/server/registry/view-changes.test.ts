import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../support/clock.js';
import { cacheEntry, heartbeat } from '../../support/cache-entry.js';
import { host } from '../../support/identity.js';
import type { CacheEntry } from '../../../server/model/cache.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';
import { createViewChanges } from '../../../server/registry/view-changes.js';

const TTL_MS = 10_000;

/** What a registry may be asked to do between two views: heartbeats of listed and new caches, verifications, goodbyes, time. */
const step = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), cache: fc.nat(11), load: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('verify' as const), cache: fc.nat(11), ok: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), cache: fc.nat(11) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: TTL_MS }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
);

/** The slots in which two views differ, read off the views themselves; null when they differ in length. */
function differing(older: readonly CacheEntry[], newer: readonly CacheEntry[]): number[] | null {
  if (older.length !== newer.length) return null;
  return newer.flatMap((e, i) => (e === older[i] ? [] : [i]));
}

describe('memory registry: the slots that changed between two views', () => {
  it('are exactly the slots in which the views differ, whenever it names them; and it names them across heartbeats and verifications', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(step, { maxLength: 6 }), { minLength: 2, maxLength: 25 }), async (rounds) => {
        const clock = createManualClock(1_000_000);
        const registry = createMemoryRegistry({ ttlMs: TTL_MS, clock });
        const views: { view: readonly CacheEntry[]; reshaped: boolean }[] = [];
        for (const round of rounds) {
          let reshaped = false;
          for (const s of round) {
            const id = `c${'cache' in s ? s.cache : 0}`;
            if (s.kind === 'heartbeat') {
              const listed = registry.get(id) !== undefined;
              await registry.put(cacheEntry(heartbeat({ uuid: id, hostname: host(`${id}.test`), load: s.load }), { id, lastActiveMs: clock.now() }));
              if (!listed) reshaped = true;
            } else if (s.kind === 'verify') {
              await registry.setVerification(id, { ok: s.ok, checkedMs: clock.now() });
            } else if (s.kind === 'remove') {
              if (await registry.remove(id)) reshaped = true;
            } else if (s.kind === 'advance') {
              clock.advance(s.ms);
              reshaped = true; // caches may have expired
            } else {
              if ((await registry.sweep()).length > 0) reshaped = true;
            }
          }
          views.push({ view: registry.snapshot(), reshaped });
        }
        for (let a = 0; a < views.length; a++) {
          for (let b = a; b < views.length; b++) {
            const { view: older } = views[a] as { view: readonly CacheEntry[] };
            const { view: newer } = views[b] as { view: readonly CacheEntry[] };
            const said = registry.changedSlots?.(older, newer);
            const truth = differing(older, newer);
            if (said) {
              expect(truth).not.toBeNull();
              expect([...said].sort((x, y) => x - y)).toEqual(truth);
            }
            // Nothing but heartbeats of listed caches and verifications in between: it must know the slots.
            if (!views.slice(a + 1, b + 1).some((v) => v.reshaped)) expect(said).not.toBeNull();
          }
          // A view is no later than itself, and no view is later than an earlier one.
          if (a > 0) expect(registry.changedSlots?.((views[a] as { view: readonly CacheEntry[] }).view, (views[a - 1] as { view: readonly CacheEntry[] }).view) ?? null).toSatisfy((v) => v === null || v.length === 0);
        }
        // Views of another registry are not its own.
        expect(registry.changedSlots?.(createMemoryRegistry({ ttlMs: TTL_MS, clock }).snapshot(), registry.snapshot())).toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});

describe('view changes log', () => {
  it('forgets the oldest writes past its bound: a view that far behind gets null, a recent one its slots', () => {
    const changes = createViewChanges();
    const views: CacheEntry[][] = [];
    for (let v = 0; v < 5000; v++) {
      const view: CacheEntry[] = [];
      changes.begin(view);
      views.push(view);
      changes.replaced(v % 7);
      changes.replaced((v * 3) % 11);
    }
    const last = views[views.length - 1] as CacheEntry[];
    expect(changes.changedSlots(views[0] as CacheEntry[], last)).toBeNull();
    const recent = changes.changedSlots(views[views.length - 3] as CacheEntry[], last);
    const expected = new Set([4998 % 7, (4998 * 3) % 11, 4999 % 7, (4999 * 3) % 11]);
    expect(new Set(recent)).toEqual(expected);
    expect(recent).toHaveLength(expected.size);
    expect(changes.changedSlots(last, last)).toEqual([]);
    changes.reshaped();
    expect(changes.changedSlots(views[views.length - 2] as CacheEntry[], last)).toBeNull();
  });
});
