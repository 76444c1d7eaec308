import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../support/clock.js';
import type { ProbeResult, ProxyTarget } from '../../../shared/cvmfs-probe.js';
import { parseIpLiteral, type IpLiteral } from '../../../shared/identity.js';
import { createSilentLogger } from '../../../shared/logger.js';
import { advertisedHost, addressForCaller, verificationAllows, type Advertise } from '../../../server/model/cache.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';
import { verificationClass } from '../../../server/verification/outcome.js';
import { verificationHosts } from '../../../server/verification/policy.js';
import { MAX_ADDRESSES_PER_CACHE } from '../../../server/verification/probe-policy.js';
import { createVerifier } from '../../../server/verification/verifier.js';
import { originalHeartbeat } from '../../support/server.js';
import { cacheEntry, parsedHeartbeat } from '../../support/cache-entry.js';

const URLS = ['http://s1.test/cvmfs/atlas.cern.ch/.cvmfspublished'];
const hb = (fields: Record<string, unknown>) => parsedHeartbeat(originalHeartbeat({ external_ip: null, private_ip: null, ...fields }));

describe('what a caller is given, and what is checked for it', () => {
  it.each<[string, Record<string, unknown>, Advertise, string, string[]]>([
    ['hostname: the name, and the public address the original routes show', { hostname: 'squid.uvic.ca', public_ip: '142.104.1.1' }, 'hostname', 'squid.uvic.ca', ['squid.uvic.ca', '142.104.1.1']],
    ['hostname: the name, and the NAT address', { hostname: 'squid.uvic.ca', external_ip: '142.104.1.9' }, 'hostname', 'squid.uvic.ca', ['squid.uvic.ca', '142.104.1.9']],
    ['hostname: a name alone', { hostname: 'squid.uvic.ca' }, 'hostname', 'squid.uvic.ca', ['squid.uvic.ca']],
    ['hostname: an address as hostname, the same as public_ip', { hostname: '142.104.1.1', public_ip: '142.104.1.1' }, 'hostname', '142.104.1.1', ['142.104.1.1']],
    ['address: the public address', { hostname: 'squid.uvic.ca', public_ip: '142.104.1.1' }, 'address', '142.104.1.1', ['142.104.1.1']],
    ['address: the NAT address', { hostname: 'squid.uvic.ca', external_ip: '142.104.1.9' }, 'address', '142.104.1.9', ['142.104.1.9']],
    ['address: the name, when there is no address', { hostname: 'squid.uvic.ca' }, 'address', 'squid.uvic.ca', ['squid.uvic.ca']],
  ])('%s', (_what, fields, advertise, given, checked) => {
    const heartbeat = hb(fields);
    expect(advertisedHost(heartbeat, advertise)).toBe(given);
    expect(addressForCaller(heartbeat, false, false, advertise)).toBe(given);
    expect(verificationHosts(heartbeat, advertise)).toEqual(checked);
  });

  it('a private cache is still given at its private address inside its site; outside it, what --advertise hands out', () => {
    const heartbeat = hb({ hostname: 'squid.uvic.ca', public_ip: '142.104.1.1', private_ip: '10.1.2.3', access: 'private' });
    for (const advertise of ['hostname', 'address'] as const) expect(addressForCaller(heartbeat, true, false, advertise)).toBe('10.1.2.3');
    expect(addressForCaller(heartbeat, false, false, 'address')).toBe('142.104.1.1');
  });
});

/** A verifier on a fake probe (nothing is connected to) that fails the addresses in `failing`, and a resolver from a table. */
function setup(advertise: Advertise, names: Record<string, string[]>, failing: string[] = [], joinRate = 20) {
  const clock = createManualClock();
  const registry = createMemoryRegistry({ ttlMs: 600_000, clock });
  const probed: string[] = [];
  const probe = async (target: ProxyTarget): Promise<ProbeResult> => {
    probed.push(`${target.host}:${target.port}`);
    return failing.includes(target.host) ? { ok: false, url: URLS[0]!, reason: `connection refused by ${target.host}:${target.port}`, ms: 1 } : { ok: true, url: URLS[0]!, status: 200, ms: 1 };
  };
  const resolve = async (name: string): Promise<IpLiteral[]> => (names[name] ?? []).map((a) => parseIpLiteral(a)!);
  const verifier = createVerifier({ registry, clock, logger: createSilentLogger(), options: { urls: URLS, intervalMs: 60_000, timeoutMs: 1000, concurrency: 4, joinRate, advertise }, probe, resolve });
  const add = async (id: string, fields: Record<string, unknown>) => {
    const now = clock.now();
    await registry.put(cacheEntry(hb({ uuid: id, cache_port: '3128', ...fields }), { createdMs: now, lastActiveMs: now, verification: registry.get(id)?.verification ?? null }));
  };
  return { clock, registry, verifier, probed, add, names };
}

describe('verification of the hostname (--advertise hostname)', () => {
  it('probes every address the name resolves to, and the public address, and passes when all serve', async () => {
    const { registry, verifier, probed, add } = setup('hostname', { 'squid.uvic.ca': ['142.104.1.1', '2607:f8f0:c10::1', '142.104.1.2'] });
    await add('c', { hostname: 'squid.uvic.ca', public_ip: '142.104.1.1' });
    expect(await verifier.runOnce()).toMatchObject({ checked: 1, passed: 1 });
    expect(probed).toEqual(['142.104.1.1:3128', '2607:f8f0:c10::1:3128', '142.104.1.2:3128']);
    expect(registry.get('c')?.verification?.ok).toBe(true);
  });

  it('a name that resolves to one address that fails is not verified, and the detail names that address', async () => {
    const { registry, verifier, add } = setup('hostname', { 'squid.uvic.ca': ['142.104.1.1', '142.104.1.2'] }, ['142.104.1.2']);
    await add('c', { hostname: 'squid.uvic.ca', public_ip: '142.104.1.1' });
    expect(await verifier.runOnce()).toMatchObject({ checked: 1, failed: 1 });
    const entry = registry.get('c')!;
    expect(verificationClass(entry.verification!)).toBe('refused');
    expect(entry.verification?.reason).toContain('142.104.1.2:3128 (squid.uvic.ca): ');
    expect(verificationAllows(entry, false)).toBe(false);
  });

  it('a name whose resolver never answers fails as a timeout, within --verify-timeout, and holds up no other cache', async () => {
    const clock = createManualClock();
    const registry = createMemoryRegistry({ ttlMs: 600_000, clock });
    const probed: string[] = [];
    const probe = async (target: ProxyTarget): Promise<ProbeResult> => {
      probed.push(target.host);
      return { ok: true, url: URLS[0]!, status: 200, ms: 1 };
    };
    // A dead DNS server: the hung name never answers; the other resolves at once.
    const resolve = (name: string): Promise<IpLiteral[]> => (name === 'hung.uvic.ca' ? new Promise<IpLiteral[]>(() => {}) : Promise.resolve([parseIpLiteral('142.104.1.2')!]));
    const verifier = createVerifier({ registry, clock, logger: createSilentLogger(), options: { urls: URLS, intervalMs: 60_000, timeoutMs: 150, concurrency: 4, joinRate: 20, advertise: 'hostname' }, probe, resolve });
    for (const [id, hostname] of [['hung', 'hung.uvic.ca'], ['fine', 'fine.uvic.ca']] as const) {
      await registry.put(cacheEntry(hb({ uuid: id, hostname, cache_port: '3128' }), { createdMs: clock.now(), lastActiveMs: clock.now() }));
    }
    const started = performance.now();
    expect(await verifier.runOnce()).toMatchObject({ checked: 2, passed: 1, failed: 1 });
    expect(performance.now() - started).toBeLessThan(5_000);
    const hung = registry.get('hung')!;
    expect(verificationClass(hung.verification!)).toBe('timeout');
    expect(hung.verification?.reason).toContain('hung.uvic.ca: no DNS answer within 150 ms');
    expect(registry.get('fine')?.verification?.ok).toBe(true);
    expect(probed).toEqual(['142.104.1.2']);
  });

  it('a public address that serves does not verify a name that does not resolve (the ENOTFOUND a VM would meet)', async () => {
    const { registry, verifier, probed, add } = setup('hostname', {});
    await add('c', { hostname: 'vm-7', public_ip: '142.104.1.1' });
    await add('d', { hostname: 'squid.shoal.invalid', public_ip: '142.104.1.2' });
    expect(await verifier.runOnce()).toMatchObject({ checked: 2, failed: 2 });
    expect(probed).toEqual([]);
    for (const id of ['c', 'd']) expect(verificationClass(registry.get(id)!.verification!)).toBe('refused');
    expect(registry.get('d')?.verification?.reason).toBe('refused: squid.shoal.invalid does not resolve');
  });

  it('the public address must serve too (original clients and WLCG WPAD connect there)', async () => {
    const { registry, verifier, add } = setup('hostname', { 'squid.uvic.ca': ['142.104.1.1'] }, ['142.104.9.9']);
    await add('c', { hostname: 'squid.uvic.ca', public_ip: '142.104.9.9' });
    await verifier.runOnce();
    expect(registry.get('c')?.verification).toMatchObject({ ok: false, reason: expect.stringContaining('142.104.9.9:3128 (142.104.9.9)') });
  });

  it('does not probe a name with more addresses than a cache may stand for, nor one resolving to a private address', async () => {
    const many = Array.from({ length: MAX_ADDRESSES_PER_CACHE + 1 }, (_, i) => `142.104.2.${i + 1}`);
    const { registry, verifier, probed, add } = setup('hostname', { 'many.example.org': many, 'inside.example.org': ['142.104.1.1', '10.1.2.3'] });
    await add('many', { hostname: 'many.example.org' });
    await add('inside', { hostname: 'inside.example.org' });
    expect(await verifier.runOnce()).toMatchObject({ checked: 0, notProbed: 2 });
    expect(probed).toEqual([]);
    expect(registry.get('many')?.verification?.reason).toContain(`resolves to ${many.length} addresses`);
    expect(registry.get('inside')?.verification?.reason).toContain('private address 10.1.2.3 (inside.example.org)');
  });

  it('a name that moves to other addresses waits for join tokens like a new cache, one per address', async () => {
    const { clock, verifier, probed, add, names } = setup('hostname', { 'hop.example.org': ['142.104.1.1'] }, [], 2);
    await add('hop', { hostname: 'hop.example.org' });
    await verifier.runOnce();
    expect(probed).toEqual(['142.104.1.1:3128']);
    // Re-checks of the same addresses are unmetered; new addresses are first probes.
    names['hop.example.org'] = ['142.104.1.5', '142.104.1.6'];
    probed.length = 0;
    expect(await verifier.runOnce()).toMatchObject({ checked: 0, waiting: 1 });
    // One token left of the burst of two: not enough for two addresses.
    expect(await verifier.runOnce()).toMatchObject({ checked: 0, waiting: 1 });
    clock.advance(500);
    expect(await verifier.runOnce()).toMatchObject({ checked: 1, waiting: 0 });
    expect(probed).toEqual(['142.104.1.5:3128', '142.104.1.6:3128']);
  });
});

describe('verification of the address (--advertise address)', () => {
  it('probes the public (else NAT) address only: the name is not what callers are given', async () => {
    const { registry, verifier, probed, add } = setup('address', {});
    await add('pub', { hostname: 'vm-7', public_ip: '142.104.1.1' });
    await add('nat', { hostname: 'vm-8', external_ip: '142.104.1.9' });
    expect(await verifier.runOnce()).toMatchObject({ checked: 2, passed: 2 });
    expect(probed.sort()).toEqual(['142.104.1.1:3128', '142.104.1.9:3128']);
    expect(registry.get('pub')?.verification?.ok).toBe(true);
  });

  it('a cache with no address is given, and checked, by its name', async () => {
    const { verifier, probed, add } = setup('address', { 'squid.uvic.ca': ['142.104.1.3'] });
    await add('c', { hostname: 'squid.uvic.ca' });
    expect(await verifier.runOnce()).toMatchObject({ passed: 1 });
    expect(probed).toEqual(['142.104.1.3:3128']);
  });
});
