import { describe, expect, it } from 'vitest';
import { cacheCost, rankCaches, type Rankable } from '../../../server/lookup/rank.js';
import { DEFAULT_RANK_WEIGHTS } from '../../support/lookup.js';

const cache = (hostname: string, distanceKm: number | null, load: number, extra: Partial<Rankable> = {}): Rankable => ({
  hostname,
  distanceKm,
  load,
  maxLoad: 100_000,
  local: false,
  ...extra,
});

const order = (items: Rankable[], count = items.length, weights = DEFAULT_RANK_WEIGHTS) =>
  rankCaches(items, count, weights).map((r) => r.item.hostname);

describe('cacheCost', () => {
  it('is w·d/(πR) + (1−w)·load/max with the defaults', () => {
    const halfEarth = Math.PI * 6371.0088;
    expect(cacheCost({ distanceKm: halfEarth, load: 0, maxLoad: 1 }, DEFAULT_RANK_WEIGHTS)).toBeCloseTo(0.5, 9);
    expect(cacheCost({ distanceKm: 0, load: 50, maxLoad: 100 }, DEFAULT_RANK_WEIGHTS)).toBeCloseTo(0.25, 9);
    expect(cacheCost({ distanceKm: halfEarth / 2, load: 100, maxLoad: 100 }, DEFAULT_RANK_WEIGHTS)).toBeCloseTo(0.75, 9);
  });

  it('counts only load when the distance is unknown', () => {
    expect(cacheCost({ distanceKm: null, load: 30, maxLoad: 100 }, DEFAULT_RANK_WEIGHTS)).toBeCloseTo(0.15, 9);
  });

  it('charges a cache with no location, for a located caller, the farthest distance there is', () => {
    expect(cacheCost({ distanceKm: null, unlocated: true, load: 30, maxLoad: 100 }, DEFAULT_RANK_WEIGHTS)).toBeCloseTo(0.5 + 0.15, 9);
    expect(cacheCost({ distanceKm: null, unlocated: true, load: 0, maxLoad: 100 }, { distanceWeight: 0.2, loadExponent: 1 })).toBeCloseTo(0.2, 9);
  });

  it('applies the load exponent', () => {
    expect(cacheCost({ distanceKm: 0, load: 50, maxLoad: 100 }, { distanceWeight: 0.5, loadExponent: 2 })).toBeCloseTo(0.125, 9);
  });
});

describe('rankCaches', () => {
  it.each([
    { name: 'nearer wins at equal load', items: [cache('far', 5000, 0), cache('near', 100, 0)], expected: ['near', 'far'] },
    { name: 'less loaded wins at equal distance', items: [cache('busy', 100, 90_000), cache('idle', 100, 1000)], expected: ['idle', 'busy'] },
    {
      // 2000 km costs 0.05; a 60% load costs 0.3: a busy neighbour loses to an idle cache a country away.
      name: 'a heavily loaded near cache loses to an idle one further away',
      items: [cache('near-busy', 10, 60_000), cache('far-idle', 2000, 0)],
      expected: ['far-idle', 'near-busy'],
    },
    {
      name: 'a slightly loaded near cache beats an idle one across an ocean',
      items: [cache('near-light', 10, 10_000), cache('overseas-idle', 8000, 0)],
      expected: ['near-light', 'overseas-idle'],
    },
    {
      name: 'site-local caches come first whatever their cost',
      items: [cache('near', 1, 0), cache('local-far-busy', 9000, 90_000, { local: true })],
      expected: ['local-far-busy', 'near'],
    },
    { name: 'equal costs break ties by hostname', items: [cache('b', 100, 0), cache('a', 100, 0)], expected: ['a', 'b'] },
    { name: 'unknown distance ranks by load only', items: [cache('x', null, 500), cache('y', null, 100)], expected: ['y', 'x'] },
    {
      // Counted as next door it came first for callers on six continents.
      name: 'a cache with no location comes after every located one, even an overloaded one across the world',
      items: [cache('nowhere-idle', null, 0, { unlocated: true }), cache('antipode-busy', 20_000, 200_000), cache('near', 8, 50_000)],
      expected: ['near', 'antipode-busy', 'nowhere-idle'],
    },
    {
      name: 'a site-local cache with no location still comes first',
      items: [cache('near', 8, 0), cache('local-nowhere', null, 0, { unlocated: true, local: true })],
      expected: ['local-nowhere', 'near'],
    },
    {
      name: 'caches with no location rank among themselves by load',
      items: [cache('nowhere-busy', null, 900, { unlocated: true }), cache('nowhere-idle', null, 10, { unlocated: true }), cache('far', 15_000, 99_000)],
      expected: ['far', 'nowhere-idle', 'nowhere-busy'],
    },
  ])('$name', ({ items, expected }) => {
    expect(order(items)).toEqual(expected);
  });

  it('with w = 1 ignores load entirely', () => {
    expect(order([cache('near-busy', 10, 99_000), cache('far-idle', 2000, 0)], 2, { distanceWeight: 1, loadExponent: 1 })).toEqual(['near-busy', 'far-idle']);
  });

  it('returns only the best `count`, best first, from many candidates', () => {
    const items = Array.from({ length: 500 }, (_, i) => cache(`c${String(i).padStart(3, '0')}`, (i * 37) % 500, 0));
    const top = order(items, 5);
    const full = order(items, 500).slice(0, 5);
    expect(top).toEqual(full);
    expect(top).toHaveLength(5);
    expect(order(items, 0)).toEqual([]);
  });
});
