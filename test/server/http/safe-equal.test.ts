import { describe, expect, it } from 'vitest';
import { safeEqual } from '../../../server/http/safe-equal.js';

describe('safeEqual', () => {
  it.each([
    ['the same token', 's3cret-token', 's3cret-token', true],
    ['a different token of the same length', 's3cret-tokem', 's3cret-token', false],
    ['a prefix', 's3cret', 's3cret-token', false],
    ['a longer token', 's3cret-token-and-more', 's3cret-token', false],
    ['an empty token', '', 's3cret-token', false],
    ['anything, when no token is configured', '', '', false],
    ['non-ASCII text', 'clé-secrète', 'clé-secrète', true],
  ])('%s → %s', (_what, given, expected, result) => {
    expect(safeEqual(given, expected)).toBe(result);
  });
});
