import { describe, expect, it } from 'vitest';
import { clusterCentre, clusterPoints, clusterRadius } from '../../../server/status/map-clusters.js';
import { arcDash } from '../../../server/status/map-view.js';
import { createSeededRandom } from '../../../bench/random.js';

const ids = (groups: { id: string }[][]) => groups.map((g) => g.map((p) => p.id).sort()).sort((a, b) => (a[0] as string).localeCompare(b[0] as string));

describe('clusterPoints', () => {
  it('groups points closer than the distance and leaves far ones alone', () => {
    const points = [
      { id: 'geneva', x: 480, y: 120 },
      { id: 'lyon', x: 476, y: 124 },
      { id: 'same-spot', x: 480, y: 120 },
      { id: 'tokyo', x: 820, y: 150 },
      { id: 'sydney', x: 860, y: 380 },
    ];
    expect(ids(clusterPoints(points, 16))).toEqual([['geneva', 'lyon', 'same-spot'], ['sydney'], ['tokyo']]);
    // Zoomed in eight times: Geneva and Lyon part, the two caches on one spot never do.
    expect(ids(clusterPoints(points, 2))).toEqual([['geneva', 'same-spot'], ['lyon'], ['sydney'], ['tokyo']]);
  });

  it('gives the same groups whatever order the points come in (the script reads them in drawing order)', () => {
    const random = createSeededRandom(3);
    const points = Array.from({ length: 400 }, (_, i) => ({ id: `c${i}`, x: Math.round(random() * 9600) / 10, y: Math.round(random() * 5000) / 10 }));
    const shuffled = [...points].sort(() => random() - 0.5);
    expect(ids(clusterPoints(shuffled, 16))).toEqual(ids(clusterPoints(points, 16)));
  });

  it('puts every point in exactly one group, each within the distance of its leader', () => {
    const random = createSeededRandom(5);
    const points = Array.from({ length: 5000 }, (_, i) => ({ id: `c${i}`, x: 400 + random() * 160, y: 100 + random() * 80 }));
    const groups = clusterPoints(points, 16);
    expect(groups.flat()).toHaveLength(5000);
    expect(new Set(groups.flat().map((p) => p.id)).size).toBe(5000);
    for (const [leader, ...rest] of groups) for (const p of rest) expect(Math.hypot(p.x - leader!.x, p.y - leader!.y)).toBeLessThanOrEqual(16);
    // Far fewer badges than points: the map stays readable.
    expect(groups.length).toBeLessThan(200);
  });

  it('draws a group at its mean, with a badge that grows slowly', () => {
    expect(clusterCentre([{ x: 0, y: 0 }, { x: 10, y: 5 }])).toEqual({ x: 5, y: 2.5 });
    expect(clusterRadius(2)).toBeLessThan(clusterRadius(50));
    expect(clusterRadius(5000)).toBeLessThan(40);
  });
});

describe('arcDash', () => {
  it('draws the given fraction of the circle, from the given start', () => {
    const r = 10;
    const length = 2 * Math.PI * r;
    expect(arcDash(r, 0.25)).toEqual({ dasharray: `${Math.round(length * 25) / 100} ${Math.round(length * 100) / 100}`, dashoffset: '0' });
    expect(Number(arcDash(r, 0.3, 0.5).dashoffset)).toBeCloseTo(-length / 2, 1);
    expect(arcDash(r, 3).dasharray.split(' ')[0]).toBe(arcDash(r, 1).dasharray.split(' ')[0]);
  });
});
