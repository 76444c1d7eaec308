import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a secret the caller sent (an admin token) with the configured one in constant time.
 * Both sides are hashed first, so neither the length nor the first differing byte shows in the timing.
 */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}
