import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../support/clock.js';
import { probeAny, type ProxyTarget } from '../../../shared/cvmfs-probe.js';
import { parseIpLiteral, type IpLiteral } from '../../../shared/identity.js';
import { createNetworkMatcher } from '../../../server/geo/networks.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';
import { verificationClass } from '../../../server/verification/outcome.js';
import { verificationAllows } from '../../../server/model/cache.js';
import { createVerifier } from '../../../server/verification/verifier.js';
import { originalHeartbeat } from '../../support/server.js';
import { cacheEntry, parsedHeartbeat } from '../../support/cache-entry.js';

/**
 * A loopback "cache" that counts every TCP connection made to it and answers like a good CVMFS proxy:
 * the proof that the verifier connects (or not) is what this listener saw, not what the verifier says.
 */
let listener: Server;
let port: number;
let connections = 0;
const URLS = ['http://s1.test/cvmfs/atlas.cern.ch/.cvmfspublished'];

beforeAll(async () => {
  listener = createServer((_req, res) => res.end('Natlas.cern.ch\n'));
  listener.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(async () => new Promise((resolve) => listener.close(resolve)));

/** Names the tests resolve without DNS: one for loopback, one that does not resolve. */
const resolve = async (name: string): Promise<IpLiteral[]> => (name === 'loopback.test' ? [parseIpLiteral('127.0.0.1')!] : []);

function setup(options: { coverage?: string[] } = {}) {
  const clock = createManualClock();
  const registry = createMemoryRegistry({ ttlMs: 180_000, clock });
  const probes: ProxyTarget[] = [];
  const logs: { msg: string; id?: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg: string }) });
  const verifier = createVerifier({
    registry,
    clock,
    logger,
    // The address each heartbeat names is what is handed out and probed (a name only where there is none).
    options: { urls: URLS, intervalMs: 60_000, timeoutMs: 1000, concurrency: 4, joinRate: 20, advertise: 'address' },
    coverage: options.coverage ? createNetworkMatcher(options.coverage) : null,
    resolve,
    // The real probe, watched: every call would be a connection somewhere.
    probe: (target, urls, timeoutMs) => {
      probes.push(target);
      return probeAny(target, urls, timeoutMs);
    },
  });
  const add = async (id: string, fields: Record<string, unknown>, signedBy: string | null = null) => {
    const hb = parsedHeartbeat(originalHeartbeat({ uuid: id, cache_port: String(port), external_ip: null, private_ip: null, ...fields }));
    const now = clock.now();
    await registry.put(cacheEntry(hb, { createdMs: now, lastActiveMs: now, signedBy }));
  };
  return { clock, registry, verifier, probes, logs, add };
}

describe('verification is not a scanner', () => {
  it.each([
    ['loopback', { public_ip: '127.0.0.1' }, 'loopback'],
    ['IPv6 loopback', { public_ip: '::1' }, 'loopback'],
    ['private 10/8', { public_ip: '10.1.2.3' }, 'private'],
    ['private 192.168/16', { public_ip: '192.168.1.10' }, 'private'],
    ['private 172.16/12, as the NAT address', { external_ip: '172.16.0.1' }, 'private'],
    ['IPv6 unique local', { public_ip: 'fd00::1' }, 'private'],
    ['link-local', { public_ip: '169.254.10.1' }, 'link-local'],
    ['IPv6 link-local', { public_ip: 'fe80::1' }, 'link-local'],
    ['documentation 192.0.2/24', { public_ip: '192.0.2.7' }, 'reserved'],
    ['documentation 2001:db8::/32', { public_ip: '2001:db8::1' }, 'reserved'],
    ['CGNAT', { public_ip: '100.64.0.1' }, 'cgnat'],
    ['a name resolving to loopback', { hostname: 'loopback.test' }, 'loopback'],
    ['loopback, with a site and networks the agent declares itself', { public_ip: '127.0.0.1', site: 'mine', networks: ['127.0.0.0/8'] }, 'loopback'],
  ])('does not connect to a %s target of an unsigned heartbeat, and records not_probed', async (_what, fields, addressClass) => {
    const { registry, verifier, probes, add } = setup();
    const before = connections;
    await add('target', fields);
    expect(await verifier.runOnce()).toEqual({ checked: 0, passed: 0, failed: 0, notProbed: 1, waiting: 0 });
    expect(probes).toEqual([]);
    expect(connections - before).toBe(0);
    const entry = registry.get('target')!;
    expect(verificationClass(entry.verification!)).toBe('not_probed');
    expect(entry.verification?.reason).toContain(`${addressClass} address`);
    // Not verified: offered inside its own site only, like a cache that failed.
    expect(verificationAllows(entry, false)).toBe(false);
  });

  it('an address inside the coverage file counts only when it is the address probed', async () => {
    const { verifier, probes, add } = setup({ coverage: ['10.0.0.0/8'] });
    await add('target', { public_ip: '127.0.0.1', private_ip: '10.1.2.3' });
    expect((await verifier.runOnce()).notProbed).toBe(1);
    expect(probes).toEqual([]);
  });

  it('says so in the log once per cache, however many rounds', async () => {
    const { verifier, logs, add } = setup();
    await add('a', { public_ip: '127.0.0.1' });
    await add('b', { public_ip: '10.1.2.3' });
    for (let i = 0; i < 3; i++) await verifier.runOnce();
    const told = logs.filter((l) => l.msg.startsWith('cache not probed'));
    expect(told.map((l) => l.id).sort()).toEqual(['a', 'b']);
  });

  it('probes a loopback cache whose heartbeat a keyring key signed', async () => {
    const { registry, verifier, probes, add } = setup();
    const before = connections;
    await add('signed', { public_ip: '127.0.0.1' }, 'uvic');
    expect(await verifier.runOnce()).toEqual({ checked: 1, passed: 1, failed: 0, notProbed: 0, waiting: 0 });
    expect(probes).toEqual([{ host: '127.0.0.1', port }]);
    expect(connections - before).toBe(1);
    expect(registry.get('signed')?.verification?.ok).toBe(true);
  });

  it('probes a loopback cache inside a site of the coverage file, at the address the name resolved to', async () => {
    const { registry, verifier, probes, add } = setup({ coverage: ['127.0.0.0/8'] });
    const before = connections;
    await add('declared', { hostname: 'loopback.test' });
    expect((await verifier.runOnce()).passed).toBe(1);
    expect(probes).toEqual([{ host: '127.0.0.1', port }]);
    expect(connections - before).toBe(1);
    expect(registry.get('declared')?.verification?.ok).toBe(true);
  });

  it('a name that does not resolve fails as refused, without a connection', async () => {
    const { registry, verifier, probes, add } = setup();
    await add('nowhere', { hostname: 'nowhere.test' });
    expect((await verifier.runOnce()).failed).toBe(1);
    expect(probes).toEqual([]);
    expect(verificationClass(registry.get('nowhere')!.verification!)).toBe('refused');
  });
});
