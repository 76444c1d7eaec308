/** Exponential back-off with full jitter, so a fleet of agents does not reconnect in lock-step. */
export interface Backoff {
  /** Delay before the next attempt, in ms. */
  next(): number;
  reset(): void;
}

export function createBackoff(options: { initialMs?: number; maxMs?: number; random?: () => number } = {}): Backoff {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  let attempt = 0;
  return {
    next() {
      const ceiling = Math.min(max, initial * 2 ** attempt);
      attempt++;
      return Math.round(ceiling / 2 + (random() * ceiling) / 2);
    },
    reset() {
      attempt = 0;
    },
  };
}
