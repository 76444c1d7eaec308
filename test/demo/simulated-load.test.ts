import { describe, expect, it } from 'vitest';
import { createSimulatedLoad } from '../../demo/simulated-load.js';
import { createSeededRandom as seeded } from '../../bench/random.js';


async function walk(samples: number, options: Partial<Parameters<typeof createSimulatedLoad>[0]> = {}): Promise<number[]> {
  const load = createSimulatedLoad({ maxLoad: 1000, band: { low: 0.2, high: 0.6 }, random: seeded(42), ...options });
  const out: number[] = [];
  for (let i = 0; i < samples; i++) out.push(await load.sample());
  return out;
}

describe('simulated load', () => {
  it.each([1, 7, 42, 1234])('never leaves its band (seed %i, 5,000 samples, large steps too)', async (seed) => {
    for (const step of [0.02, 0.3]) {
      const values = await walk(5000, { random: seeded(seed), step });
      expect(Math.min(...values)).toBeGreaterThanOrEqual(200);
      expect(Math.max(...values)).toBeLessThanOrEqual(600);
    }
  });

  it('stays in the band when the generator gives its extremes', async () => {
    for (const extreme of [0, 0.999999]) {
      const values = await walk(200, { random: () => extreme, step: 0.1 });
      for (const v of values) expect(v >= 200 && v <= 600).toBe(true);
    }
  });

  it('drifts: it moves at every sample and wanders over most of its band', async () => {
    const values = await walk(2000);
    const moved = values.slice(1).filter((v, i) => v !== values[i]).length;
    expect(moved).toBeGreaterThan(1900);
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(0.75 * 400);
  });

  it('drifts smoothly: one sample never jumps by more than the velocity can reach', async () => {
    const values = await walk(2000, { step: 0.02 });
    // |velocity| <= step / (1 - 0.7); in kB/s of a 1000 kB/s max load.
    const limit = (0.02 / 0.3) * 1000 + 1e-9;
    for (let i = 1; i < values.length; i++) expect(Math.abs((values[i] as number) - (values[i - 1] as number))).toBeLessThanOrEqual(limit);
  });

  it('is deterministic for one generator, and differs for another', async () => {
    expect(await walk(100, { random: seeded(9) })).toEqual(await walk(100, { random: seeded(9) }));
    expect(await walk(100, { random: seeded(9) })).not.toEqual(await walk(100, { random: seeded(10) }));
  });

  it.each([
    [{ low: 0.5, high: 0.5 }, 1000],
    [{ low: -0.1, high: 0.5 }, 1000],
    [{ low: 0.2, high: 1.5 }, 1000],
    [{ low: 0.2, high: 0.5 }, 0],
  ])('refuses band %o with max load %i', (band, maxLoad) => {
    expect(() => createSimulatedLoad({ maxLoad, band, random: Math.random })).toThrow(RangeError);
  });
});
