import { afterEach, describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../../support/clock.js';
import type { ProbeResult, ProxyTarget } from '../../../shared/cvmfs-probe.js';
import { createSilentLogger } from '../../../shared/logger.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';
import { createTokenBucket } from '../../../server/verification/token-bucket.js';
import { createVerifier } from '../../../server/verification/verifier.js';
import { originalHeartbeat } from '../../support/server.js';
import { cacheEntry, parsedHeartbeat } from '../../support/cache-entry.js';

const URLS = ['http://s1.test/cvmfs/atlas.cern.ch/.cvmfspublished'];

/** Caches at public addresses (a fake probe that answers at once: nothing is connected to). */
function setup(joinRate: number) {
  const clock = createManualClock();
  const registry = createMemoryRegistry({ ttlMs: 600_000, clock });
  const probed: string[] = [];
  const probe = async (target: ProxyTarget): Promise<ProbeResult> => {
    probed.push(`${target.host}:${target.port}`);
    return { ok: true, url: URLS[0]!, status: 200, ms: 1 };
  };
  const verifier = createVerifier({ registry, clock, logger: createSilentLogger(), options: { urls: URLS, intervalMs: 60_000, timeoutMs: 1000, concurrency: 8, joinRate, advertise: 'address' }, probe });
  const add = async (id: string, publicIp: string, port = 3128) => {
    const hb = parsedHeartbeat(originalHeartbeat({ uuid: id, public_ip: publicIp, cache_port: String(port) }));
    await registry.put(cacheEntry(hb, { createdMs: clock.now(), lastActiveMs: clock.now(), verification: registry.get(id)?.verification ?? null }));
  };
  return { clock, registry, verifier, probed, add };
}

describe('join-probe rate', () => {
  it('probes at most joinRate new caches a second; known caches are re-checked every round regardless', async () => {
    const { clock, registry, verifier, probed, add } = setup(20);
    for (let i = 0; i < 50; i++) await add(`new${i}`, `142.104.${Math.floor(i / 250)}.${(i % 250) + 1}`);

    // The burst: one second's worth.
    expect(await verifier.runOnce()).toMatchObject({ checked: 20, waiting: 30 });
    expect(probed).toHaveLength(20);

    // No time has passed: no new cache is probed, but the 20 known ones are re-checked (unmetered).
    probed.length = 0;
    expect(await verifier.runOnce()).toMatchObject({ checked: 20, waiting: 30 });
    expect(new Set(probed).size).toBe(20);

    // Half a second buys ten first probes, in the order the caches came.
    clock.advance(500);
    probed.length = 0;
    expect(await verifier.runOnce()).toMatchObject({ checked: 30, waiting: 20 });
    expect(registry.get('new29')?.verification?.ok).toBe(true);
    expect(registry.get('new30')?.verification).toBeNull();

    // Tokens do not pile up past the burst: ten quiet seconds still give only 20 first probes.
    for (let i = 50; i < 60; i++) await add(`new${i}`, `142.105.0.${i}`);
    clock.advance(10_000);
    expect(await verifier.runOnce()).toMatchObject({ checked: 30 + 20, waiting: 10 });
    clock.advance(1000);
    expect(await verifier.runOnce()).toMatchObject({ checked: 60, waiting: 0 });
    expect(registry.snapshot().every((e) => e.verification?.ok === true)).toBe(true);
  });

  it('a known cache that moves to another address or port waits for a token like a new one', async () => {
    const { clock, verifier, probed, add } = setup(1);
    await add('hopper', '142.104.1.1');
    await verifier.runOnce();
    expect(probed).toEqual(['142.104.1.1:3128']);

    // One cache hopping from target to target is no faster a scanner than the join rate.
    clock.advance(1000);
    await add('hopper', '142.104.1.2');
    await add('other', '142.104.9.9');
    probed.length = 0;
    expect(await verifier.runOnce()).toMatchObject({ checked: 1, waiting: 1 });
    await add('hopper', '142.104.1.2', 3129);
    clock.advance(1000);
    expect(await verifier.runOnce()).toMatchObject({ checked: 1, waiting: 1 });
    clock.advance(1000);
    expect(await verifier.runOnce()).toMatchObject({ checked: 2, waiting: 0 });
    // Round by round: the hopper's new address; the other cache (first in line); the other's re-check and the hopper's new port.
    expect(probed.slice(0, 2)).toEqual(['142.104.1.2:3128', '142.104.9.9:3128']);
    expect(probed.slice(2).sort()).toEqual(['142.104.1.2:3129', '142.104.9.9:3128']);
  });
});

describe('join-probe rate, running', () => {
  afterEach(() => vi.useRealTimers());

  it('keeps probing the waiting caches between rounds as tokens come, without waiting for the next round', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { clock, verifier, probed, add } = setup(1);
    for (const i of [1, 2, 3]) await add(`c${i}`, `142.104.1.${i}`);
    verifier.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(probed).toEqual(['142.104.1.1:3128']);
    for (const expected of [2, 3]) {
      clock.advance(1000);
      await vi.advanceTimersByTimeAsync(1000);
      expect(probed).toHaveLength(expected);
    }
    await verifier.stop();
  });
});

describe('token bucket', () => {
  it('refills at its rate up to its burst, on the injected clock', () => {
    const clock = createManualClock();
    const bucket = createTokenBucket({ perSecond: 4, burst: 2, clock });
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    expect(bucket.msUntilToken()).toBe(250);
    clock.advance(250);
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    clock.advance(10_000);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    // A clock set back gives nothing and owes nothing.
    clock.set(clock.now() - 60_000);
    expect(bucket.take()).toBe(false);
    clock.advance(250);
    expect(bucket.take()).toBe(true);
  });
});
