import type { Clock } from '../../shared/clock.js';

/** A token bucket on an injected clock: `perSecond` tokens a second, at most `burst` saved up. */
export interface TokenBucket {
  /** Takes a token if one is there. */
  take(): boolean;
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
    take() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    msUntilToken() {
      refill();
      return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / perSecond);
    },
  };
}
