import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../support/clock.js';
import type { ProbeResult, ProxyTarget } from '../../../shared/cvmfs-probe.js';
import type { Heartbeat } from '../../../shared/heartbeat.js';
import { createSilentLogger } from '../../../shared/logger.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';
import type { CacheEntry } from '../../../server/model/cache.js';
import { verificationAllows } from '../../../server/model/cache.js';
import { createVerifier } from '../../../server/verification/verifier.js';
import { originalHeartbeat } from '../../support/server.js';
import { cacheEntry, parsedHeartbeat } from '../../support/cache-entry.js';

const URLS = ['http://s1.test/cvmfs/atlas.cern.ch/.cvmfspublished'];

/** A cache at a public address (the probe is a fake: nothing is connected to). */
function heartbeat(id: string, port: number, extra: Record<string, unknown> = {}): Heartbeat {
  return parsedHeartbeat(originalHeartbeat({ uuid: id, cache_port: String(port), public_ip: '142.104.1.1', ...extra }));
}

const entry = (hb: Heartbeat, nowMs: number): CacheEntry => cacheEntry(hb, { createdMs: nowMs, lastActiveMs: nowMs });

/** A probe whose answers the test releases one port at a time; records how many run at once. */
function gatedProbe() {
  const gates = new Map<number, (ok: boolean) => void>();
  const started: number[] = [];
  let running = 0;
  let peak = 0;
  const probe = (target: ProxyTarget): Promise<ProbeResult> => {
    started.push(target.port);
    running += 1;
    peak = Math.max(peak, running);
    return new Promise((resolve) => {
      gates.set(target.port, (ok) => {
        running -= 1;
        resolve(ok ? { ok, url: URLS[0]!, status: 200, ms: 1 } : { ok, url: URLS[0]!, reason: 'HTTP 403 (ERR_ACCESS_DENIED)', ms: 1 });
      });
    });
  };
  const release = async (port: number, ok: boolean) => {
    while (!gates.has(port)) await new Promise((r) => setImmediate(r));
    gates.get(port)!(ok);
    gates.delete(port);
  };
  return { probe, release, started, peak: () => peak };
}

async function setup(concurrency: number) {
  const clock = createManualClock();
  const registry = createMemoryRegistry({ ttlMs: 180_000, clock });
  const gate = gatedProbe();
  const verifier = createVerifier({ registry, clock, logger: createSilentLogger(), options: { urls: URLS, intervalMs: 60_000, timeoutMs: 2000, concurrency, joinRate: 20, advertise: 'address' }, probe: gate.probe });
  return { clock, registry, gate, verifier };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('server verifier', () => {
  it('records each verdict as it comes: a slow cache delays no other', async () => {
    const { clock, registry, gate, verifier } = await setup(4);
    for (const port of [1001, 1002, 1003]) await registry.put(entry(heartbeat(`c${port}`, port), clock.now()));
    const round = verifier.runOnce();
    await gate.release(1002, true);
    await gate.release(1003, false);
    await settle();
    // 1001 is still hanging, yet the others are decided.
    expect(registry.get('c1002')?.verification?.ok).toBe(true);
    expect(registry.get('c1003')?.verification).toMatchObject({ ok: false, reason: `bad_answer: ${URLS[0]}: HTTP 403 (ERR_ACCESS_DENIED)` });
    expect(registry.get('c1001')?.verification).toBeNull();
    await gate.release(1001, true);
    expect(await round).toEqual({ checked: 3, passed: 2, failed: 1, notProbed: 0, waiting: 0 });
  });

  it('never runs more probes at once than its concurrency', async () => {
    const { clock, registry, gate, verifier } = await setup(2);
    const ports = [2001, 2002, 2003, 2004, 2005];
    for (const port of ports) await registry.put(entry(heartbeat(`c${port}`, port), clock.now()));
    const round = verifier.runOnce();
    for (const port of ports) await gate.release(port, true);
    await round;
    expect(gate.started.sort()).toEqual(ports);
    expect(gate.peak()).toBe(2);
  });

  it('skips caches it cannot judge: failing agents, site-only access, frontier-only', async () => {
    const { clock, registry, gate, verifier } = await setup(4);
    await registry.put(entry(heartbeat('failing', 3001, { status: 'failing' }), clock.now()));
    await registry.put(entry(heartbeat('site', 3002, { access: 'site' }), clock.now()));
    await registry.put(entry(heartbeat('frontier', 3003, { upstream: 'frontier' }), clock.now()));
    expect(await verifier.runOnce()).toEqual({ checked: 0, passed: 0, failed: 0, notProbed: 0, waiting: 0 });
    expect(gate.started).toEqual([]);
  });

  it('does not bring back a cache that left while it was being probed', async () => {
    const { clock, registry, gate, verifier } = await setup(4);
    await registry.put(entry(heartbeat('leaver', 4001), clock.now()));
    const round = verifier.runOnce();
    await settle();
    await registry.remove('leaver');
    await gate.release(4001, false);
    expect(await round).toEqual({ checked: 0, passed: 0, failed: 0, notProbed: 0, waiting: 0 });
    expect(registry.snapshot()).toEqual([]);
  });

  it('stop() waits for the round in progress and starts no other', async () => {
    const { clock, registry, gate, verifier } = await setup(1);
    for (const port of [5001, 5002]) await registry.put(entry(heartbeat(`c${port}`, port), clock.now()));
    verifier.start();
    while (gate.started.length === 0) await settle();
    const stopped = verifier.stop();
    await gate.release(5001, true);
    await stopped;
    // The second cache was still queued when stop() came: it is skipped, not probed.
    expect(gate.started).toEqual([5001]);
  });
});

describe('verificationAllows', () => {
  const hb = heartbeat('x', 3128);
  const base = entry(hb, 0);
  it.each([
    ['not checked yet', null, false, true],
    ['passed', { ok: true, checkedMs: 0 }, false, true],
    ['failed, caller outside the site', { ok: false, reason: 'HTTP 403', checkedMs: 0 }, false, false],
    ['failed, caller inside the site', { ok: false, reason: 'HTTP 403', checkedMs: 0 }, true, true],
  ] as const)('%s', (_what, verification, callerInSite, allowed) => {
    expect(verificationAllows({ ...base, verification }, callerInSite)).toBe(allowed);
  });
});
