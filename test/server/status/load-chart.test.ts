import { describe, expect, it } from 'vitest';
import type { LoadSample } from '../../../server/registry/load-history.js';
import { chartGeometry, niceCeiling } from '../../../server/status/load-chart.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 0, 1, 13);
const at = (minutesAgo: number, load: number): LoadSample => ({ atMs: NOW - minutesAgo * 60_000, load, maxLoad: null, requestRate: null, clientCount: null });

describe('load chart geometry', () => {
  it.each([
    [0, 1],
    [0.4, 1],
    [7, 10],
    [12, 20],
    [21, 25],
    [26, 50],
    [75_000 * 1.05, 100_000],
    [100_000, 100_000],
    [130_000, 200_000],
  ])('rounds a scale top of %d up to %d', (v, top) => {
    expect(niceCeiling(v)).toBe(top);
  });

  it('puts samples from an hour ago (left) to now (right), higher loads higher up', () => {
    const g = chartGeometry([at(60, 0), at(30, 50_000), at(0, 100_000)], { nowMs: NOW, windowMs: HOUR, maxLoad: 122_000 });
    const [left, middle, right] = g.points as [[number, number], [number, number], [number, number]];
    expect(left[0]).toBeLessThan(middle[0]);
    expect(middle[0] - left[0]).toBeCloseTo(right[0] - middle[0], 0);
    expect(left[1]).toBeGreaterThan(middle[1]);
    expect(middle[1]).toBeGreaterThan(right[1]);
    expect(g.top).toBe(200_000);
    expect(g.unit).toBe('MB/s');
    expect(g.yTicks.map((t) => t.label)).toEqual(['0', '100', '200']);
    expect(g.xTicks.map((t) => t.label)).toEqual(['−60 min', '−45', '−30', '−15', 'now']);
    // The max load (122 MB/s) fits under the 200 MB/s top: it gets its line, between the middle and top ticks.
    expect(g.maxLoadY).not.toBeNull();
    expect(g.maxLoadY!).toBeLessThan(g.yTicks[1]!.y);
    expect(g.maxLoadY!).toBeGreaterThan(g.yTicks[2]!.y);
  });

  it('scales to the samples when the max load is far above them, and leaves its line out', () => {
    const g = chartGeometry([at(10, 300), at(5, 420)], { nowMs: NOW, windowMs: HOUR, maxLoad: 122_000 });
    expect(g.top).toBe(500);
    expect(g.unit).toBe('kB/s');
    expect(g.yTicks.map((t) => t.label)).toEqual(['0', '250', '500']);
    expect(g.maxLoadY).toBeNull();
  });

  it('keeps an idle cache on the baseline with a scale of 1 kB/s', () => {
    const g = chartGeometry([at(2, 0), at(1, 0)], { nowMs: NOW, windowMs: HOUR, maxLoad: 122_000 });
    expect(g.top).toBe(1);
    expect(g.points.map((p) => p[1])).toEqual([g.yTicks[0]!.y, g.yTicks[0]!.y]);
  });
});
