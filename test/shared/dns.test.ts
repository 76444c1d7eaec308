import { describe, expect, it } from 'vitest';
import { resolveAddresses, withTimeout } from '../../shared/dns.js';

describe('name lookups with a deadline', () => {
  it('gives the value in time, else the fallback: on a failure at once, on a hang at the deadline', async () => {
    expect(await withTimeout(Promise.resolve([1]), 1000, 'late')).toEqual([1]);
    expect(await withTimeout(Promise.reject(new Error('ENOTFOUND')), 1000, 'late')).toBe('late');
    const started = performance.now();
    expect(await withTimeout(new Promise(() => {}), 50, 'late')).toBe('late');
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  // The hosts file only: tests send nothing beyond loopback, DNS queries included.
  it('resolves a name as the system does, each address once', async () => {
    const found = await resolveAddresses('localhost');
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/^(127\.0\.0\.1|::1)$/)]));
    expect(new Set(found).size).toBe(found.length);
  });
});
