import { describe, expect, it } from 'vitest';
import { toUnitVector } from '../../../server/geo/sphere.js';
import type { Heartbeat } from '../../../shared/heartbeat.js';
import { createSeededRandom } from '../../../bench/random.js';
import { buildLookupIndex, updateLookupIndex, type LookupIndex } from '../../../server/lookup/cell-index.js';
import type { CacheEntry } from '../../../server/model/cache.js';
import { host, port } from '../../support/identity.js';
import { cacheEntry } from '../../support/cache-entry.js';

const weights = { distanceWeight: 0.5, loadExponent: 1 };
const DEFAULT_MAX_LOAD = 100_000;
/**
 * Few places for most caches, so cells are crowded and a changed load moves a cache among many; and a
 * few places of one cache each, whose cell's flags and lowest load are that one cache's.
 */
const PLACES = [[46.2, 6.1], [46.3, 6.2], [48.4, -123.4], [35.7, 139.7], [-33.9, 151.2], [0, 0], [90, 0], [-60, -60], [-60, 60], [60, -60], [-10, -100], [-45, 20], [10, 80]] as const;
const CROWDED = 7;
const homeOf = (i: number) => (i < PLACES.length - CROWDED ? CROWDED + i : i % CROWDED);

function cache(i: number, random: () => number, changes: Partial<Heartbeat> = {}, place = homeOf(i), located = i % 19 !== 0): CacheEntry {
  const hb: Heartbeat = {
    uuid: `c${i}`,
    hostname: host(`cache-${i}.test`),
    cachePort: port(3128),
    cacheType: i % 7 === 0 ? 'varnish' : 'squid',
    upstream: (['both', 'cvmfs', 'frontier'] as const)[i % 3] as Heartbeat['upstream'],
    verified: i % 2 === 0,
    maxLoad: i % 5 === 0 ? null : 100_000,
    load: Math.round(random() * 130_000),
    timestamp: 1,
    access: i % 23 === 0 ? 'site' : 'global',
    status: 'ok',
    ...changes,
  };
  const [latitude, longitude] = PLACES[place] as readonly [number, number];
  const unit = located ? toUnitVector({ latitude, longitude }) : null;
  return cacheEntry(hb, { unit, verification: i % 31 === 0 ? { ok: false, checkedMs: 0 } : null });
}

/** Every array of an index as plain numbers, for comparing two indexes field by field. */
function contents(index: LookupIndex) {
  const { cells } = index;
  const plain = (a: ArrayLike<number>) => Array.from(a);
  return {
    entries: index.entries.map((e) => e.id),
    flags: plain(index.flags),
    x: plain(index.x),
    y: plain(index.y),
    z: plain(index.z),
    loadCost: plain(index.loadCost),
    cells: {
      count: cells.count,
      ...Object.fromEntries(
        (['start', 'members', 'memberFloor', 'minX', 'maxX', 'minY', 'maxY', 'minZ', 'maxZ', 'located', 'minLoadCost', 'anyFlags', 'cellOf'] as const).map((k) => [k, plain(cells[k])]),
      ),
    },
  };
}

describe('updateLookupIndex', () => {
  // `known`: told the changed slots, as the memory registry tells them (Registry.changedSlots), rather than comparing the views.
  it.each([['compared', false], ['known', true]] as const)('gives exactly the index a fresh build gives, after any sequence of heartbeats, and leaves the previous index as it was (slots %s)', (_how, known) => {
    const random = createSeededRandom(7);
    let view: CacheEntry[] = Array.from({ length: 400 }, (_, i) => cache(i, random));
    let index = buildLookupIndex(view, weights, DEFAULT_MAX_LOAD);
    let updates = 0;
    for (let round = 0; round < 400; round++) {
      const next = view.slice();
      const kind = random();
      const slots = new Set<number>();
      let reshaped = false;
      if (kind < 0.03) {
        next.push(cache(next.length, random)); // a join
        reshaped = true;
      } else if (kind < 0.05) {
        next.splice(Math.floor(random() * next.length), 1); // a goodbye
        reshaped = true;
      } else {
        const changes = 1 + Math.floor(random() * (kind < 0.1 ? 80 : 6)); // now and then more than an update takes
        for (let k = 0; k < changes; k++) {
          // One change in four to a cache alone at its place.
          const slot = random() < 0.25 ? Math.min(next.length - 1, Math.floor(random() * (PLACES.length - CROWDED))) : Math.floor(random() * next.length);
          const i = Number((next[slot] as CacheEntry).id.slice(1));
          const r = random();
          const change: Partial<Heartbeat> =
            r < 0.6 ? {} // a new load only
            : r < 0.7 ? { status: 'failing' }
            : r < 0.75 ? { status: 'leaving' }
            : r < 0.8 ? { upstream: 'frontier' }
            : r < 0.85 ? { access: 'site' }
            : r < 0.9 ? { maxLoad: 1000 }
            : {};
          const moved = r >= 0.95; // a cache whose address, and so location, changed
          next[slot] = cache(i, random, change, moved ? Math.floor(random() * PLACES.length) : homeOf(i), moved ? random() < 0.8 : i % 19 !== 0);
          slots.add(slot);
        }
      }
      const before = contents(index);
      const updated = updateLookupIndex(index, next, weights, DEFAULT_MAX_LOAD, known && !reshaped ? [...slots] : null);
      expect(contents(updated)).toEqual(contents(buildLookupIndex(next, weights, DEFAULT_MAX_LOAD)));
      expect(contents(index)).toEqual(before);
      if (updated.cells.cellOf === index.cells.cellOf) updates++;
      view = next;
      index = updated;
    }
    // Most rounds took the update, not a rebuild (else this test would not test it).
    expect(updates).toBeGreaterThan(200);
  });

  it('hands back an index for the new view even when no cache changed', () => {
    const random = createSeededRandom(3);
    const view = Array.from({ length: 50 }, (_, i) => cache(i, random));
    const index = buildLookupIndex(view, weights, DEFAULT_MAX_LOAD);
    const copy = view.slice();
    const updated = updateLookupIndex(index, copy, weights, DEFAULT_MAX_LOAD);
    expect(updated.entries).toBe(copy);
    expect(contents(updated)).toEqual(contents(index));
  });
});

describe('offerVersion (what the answer cache lives by)', () => {
  const random = createSeededRandom(11);
  const base = Array.from({ length: 40 }, (_, i) => cache(i, random));
  const index = buildLookupIndex(base, weights, DEFAULT_MAX_LOAD);
  const version = (entries: CacheEntry[]) => updateLookupIndex(index, entries, weights, DEFAULT_MAX_LOAD).offerVersion - index.offerVersion;
  const replaced = (i: number, change: (e: CacheEntry) => CacheEntry) => base.map((e, k) => (k === i ? change(e) : e));

  it('stays for load updates, one or many (then the index is rebuilt), and for the same caches in another order', () => {
    expect(version(replaced(3, (e) => ({ ...e, heartbeat: { ...e.heartbeat, load: 1 } })))).toBe(0);
    // Over the load that makes it overloaded: DEGRADED changes, the offer does not.
    expect(version(replaced(4, (e) => ({ ...e, heartbeat: { ...e.heartbeat, load: 10_000_000 } })))).toBe(0);
    expect(version(base.map((e) => ({ ...e, heartbeat: { ...e.heartbeat, load: e.heartbeat.load + 1 } })))).toBe(0);
    expect(version([...base].reverse())).toBe(0);
  });

  it('moves for a join, a leave, a goodbye, a failing self-check, a verification outcome, an access change and a move', () => {
    expect(version([...base, cache(99, random)])).toBe(1);
    expect(version(base.slice(1))).toBe(1);
    expect(version([...base.slice(1), cache(99, random)])).toBe(1); // as many caches, another set
    expect(version(replaced(5, (e) => ({ ...e, heartbeat: { ...e.heartbeat, status: 'leaving' } })))).toBe(1);
    expect(version(replaced(5, (e) => ({ ...e, heartbeat: { ...e.heartbeat, status: 'failing' } })))).toBe(1);
    expect(version(replaced(6, (e) => ({ ...e, verification: { ok: true, checkedMs: 1 } })))).toBe(1);
    expect(version(replaced(7, (e) => ({ ...e, heartbeat: { ...e.heartbeat, access: 'site' } })))).toBe(1);
    expect(version(replaced(8, (e) => ({ ...e, unit: toUnitVector({ latitude: 1, longitude: 2 }) })))).toBe(1);
  });
});
