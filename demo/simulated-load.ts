import type { LoadSource } from '../agent/load.js';
import type { LoadBand } from './sites.js';

export interface SimulatedLoadOptions {
  /** kB/s the band's fractions are of. */
  maxLoad: number;
  band: LoadBand;
  /** Uniform in [0, 1); injected so tests get the same walk every run. */
  random: () => number;
  /** Largest change of the drift's velocity per sample, as a fraction of max load (default 0.02). */
  step?: number;
}

/** Velocity is kept this much from one sample to the next: momentum makes the walk smooth, not jittery. */
const MOMENTUM = 0.7;

/**
 * A load that wanders as a busy cache's does: a random walk on the load fraction whose velocity changes a
 * little at each sample, reflected at the band's edges so it never leaves them. The agent samples it like
 * the real `tx_bytes` source, so everything after `sample()` is the production path.
 */
export function createSimulatedLoad(options: SimulatedLoadOptions): LoadSource & { fraction(): number } {
  const { maxLoad, random } = options;
  const { low, high } = options.band;
  const step = options.step ?? 0.02;
  if (!(maxLoad > 0)) throw new RangeError(`maxLoad must be positive, got ${maxLoad}`);
  if (!(low >= 0 && low < high && high <= 1)) throw new RangeError(`load band must satisfy 0 <= low < high <= 1, got ${low}..${high}`);
  let fraction = low + (high - low) * random();
  let velocity = 0;

  const advance = () => {
    velocity = MOMENTUM * velocity + step * (2 * random() - 1);
    fraction += velocity;
    if (fraction > high) {
      fraction = 2 * high - fraction;
      velocity = -velocity;
    }
    if (fraction < low) {
      fraction = 2 * low - fraction;
      velocity = -velocity;
    }
    // A reflection can overshoot the other edge only with a step larger than the band; clamp for that case.
    fraction = Math.min(high, Math.max(low, fraction));
  };

  return {
    fraction: () => fraction,
    async sample() {
      advance();
      return fraction * maxLoad;
    },
  };
}
