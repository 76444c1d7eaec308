import type { Clock } from '../../shared/clock.js';

/** A token bucket on an injected clock: `perSecond` tokens a second, at most `burst` saved up. */
export interface TokenBucket {
  /** Takes `count` tokens (default 1; at most `burst`, so any count can be had) if they are there. */
  take(count?: number): boolean;
  /** Milliseconds until the next token (0: one is there now). */
  msUntilToken(): number;
}

export function createTokenBucket(options: { perSecond: number; burst: number; clock: Clock }): TokenBucket {
  const { perSecond, burst, clock } = options;
  let tokens = burst;
  let at = clock.now();
  const refill = () => {
    const now = clock.now();
    // A clock set backwards refills nothing (and does not owe tokens either).
    if (now > at) tokens = Math.min(burst, tokens + ((now - at) * perSecond) / 1000);
    at = now;
  };
  return {
    take(count = 1) {
      refill();
      const cost = Math.min(count, burst);
      if (tokens < cost) return false;
      tokens -= cost;
      return true;
    },
    msUntilToken() {
      refill();
      return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / perSecond);
    },
  };
}
