import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../support/clock.js';
import { probeThroughProxy } from '../../shared/cvmfs-probe.js';
import { resolveName } from '../../server/verification/probe-policy.js';
import { host } from '../support/identity.js';
import { signMessage } from '../../shared/signing.js';
import { writeKeyringFile } from '../support/security.js';
import { originalHeartbeat, startTestServer, type TestServer } from '../support/server.js';
import { freePort, squidAvailable, startOrigin, startSquid, type Origin, type SquidInstance } from '../support/squid.js';

const squid = await squidAvailable();
const REPO = 'atlas.cern.ch';
const publishedUrl = (origin: Origin, repo = REPO) => `${origin.url}/cvmfs/${repo}/.cvmfspublished`;

interface CachesBody {
  caches: { id: string; verification: { ok: boolean; class: string; detail?: string | null } | null }[];
}

/**
 * The server probes loopback only for caches the operator declared: these caches' heartbeats are signed
 * by a keyring key that allows loopback (signature mode permissive, so unsigned ones are still accepted).
 */
const KEY = { keyId: 'loopback', secret: 'loopback-test-secret-0123456789' };
const KEYRING = { keys: { [KEY.keyId]: { secrets: [KEY.secret], addresses: ['127.0.0.0/8'], networks: ['10.9.0.0/16'], hostnames: ['*.test'] } } };
const ADMIN_TOKEN = 'verifier-squid-admin-token';
let seq = 0;

/** A signed heartbeat for a cache on loopback (so the verifier never leaves the machine), at declared coordinates. */
const loopbackCache = (clock: { now(): number }, id: string, port: number, extra: Record<string, unknown> = {}) =>
  signMessage(
    originalHeartbeat({ uuid: id, hostname: `${id}.test`, cache_port: String(port), public_ip: '127.0.0.1', external_ip: null, private_ip: null, latitude: 48.46, longitude: -123.31, timestamp: clock.now() / 1000, ...extra }),
    KEY,
    ++seq,
  );

/** The denying cache belongs to a site; callers from its network may still get it when the server cannot. */
const SITE = { site: 'uvic', networks: ['10.9.0.0/16'] };

describe.runIf(squid)('server verification through the real Squid', () => {
  const clock = createManualClock(Date.now());
  let origin: Origin;
  let good: SquidInstance;
  let denying: SquidInstance;
  let revived: SquidInstance | null = null;
  let deadPort: number;
  let server: TestServer;

  beforeAll(async () => {
    origin = await startOrigin();
    [good, denying, deadPort] = await Promise.all([startSquid(), startSquid({ denyPaths: ['^/cvmfs/'] }), freePort()]);
    server = await startTestServer({
      clock,
      amqp: false,
      // A long interval: the rounds this test looks at are the ones it runs itself.
      flags: {
        // These caches' names (*.test) resolve nowhere: what is handed out, and checked, is their address.
        advertise: 'address',
        verify: true,
        verifyUrls: publishedUrl(origin),
        verifyInterval: 3600,
        verifyTimeout: 2000,
        verifyConcurrency: 2,
        signatureMode: 'permissive',
        keyringFile: await writeKeyringFile(KEYRING),
        adminToken: ADMIN_TOKEN,
        // /nearestverified is asked from loopback, which nothing places: ranked by load rather than `null`.
        unknownCaller: 'by-load',
      },
    });
    for (const [id, port] of [['good', good.port], ['denying', denying.port], ['dead', deadPort]] as const) {
      const result = await server.ingest.handle(JSON.stringify(loopbackCache(clock, id, port, id === 'denying' ? SITE : {})));
      expect(result.ok).toBe(true);
      expect(server.registry.get(id)?.signedBy).toBe(KEY.keyId);
    }
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([good?.stop(), denying?.stop(), revived?.stop()]);
    await origin?.close();
  });

  const offered = async (from = '') => {
    const body = (await (await fetch(`${server.url}/api/v1/nearest?lat=48.4&lon=-123.3&count=10${from ? `&ip=${from}` : ''}`)).json()) as { caches: { id: string }[] };
    return body.caches.map((c) => c.id).sort();
  };

  it('the probe itself: a good answer passes, an ACL refusal and a closed port fail with the reason', async () => {
    const url = publishedUrl(origin);
    expect(await probeThroughProxy({ host: '127.0.0.1', port: good.port }, url, 2000)).toMatchObject({ ok: true, status: 200 });
    expect(await probeThroughProxy({ host: '127.0.0.1', port: denying.port }, url, 2000)).toMatchObject({ ok: false, reason: 'HTTP 403 (ERR_ACCESS_DENIED)' });
    expect(await probeThroughProxy({ host: '127.0.0.1', port: deadPort }, url, 2000)).toMatchObject({ ok: false, reason: `connection refused by 127.0.0.1:${deadPort}` });
    // A file the origin does not have: Squid relays the 404.
    expect(await probeThroughProxy({ host: '127.0.0.1', port: good.port }, `${origin.url}/cvmfs/${REPO}/missing`, 2000)).toMatchObject({ ok: false, reason: 'HTTP 404' });
  });

  it('offers every cache until it has been checked', async () => {
    expect(await offered()).toEqual(['dead', 'denying', 'good']);
  });

  it('marks the cache that refuses the test URL and the port with nothing listening as unverified, and stops offering them', async () => {
    const round = await server.verifier!.runOnce();
    expect(round).toEqual({ checked: 3, passed: 1, failed: 2, notProbed: 0, waiting: 0 });
    expect(server.registry.get('good')?.verification).toEqual({ ok: true, checkedMs: clock.now() });
    expect(server.registry.get('denying')?.verification).toMatchObject({ ok: false, reason: expect.stringContaining('ERR_ACCESS_DENIED') });
    expect(server.registry.get('dead')?.verification).toMatchObject({ ok: false, reason: expect.stringContaining('connection refused') });
    expect(await offered()).toEqual(['good']);
    // Inside its site the cache that refused the server is still offered (the site's own ACL may allow it).
    expect(await offered('10.9.1.1')).toEqual(['denying', 'good']);

    // In public, the class only; the detail behind the admin token.
    const caches = (await (await fetch(`${server.url}/api/v1/caches`)).json()) as CachesBody;
    expect(caches.caches.find((c) => c.id === 'denying')?.verification).toEqual({ ok: false, class: 'bad_answer', checked_at: expect.any(String) });
    expect(caches.caches.find((c) => c.id === 'dead')?.verification).toEqual({ ok: false, class: 'refused', checked_at: expect.any(String) });
    const admin = (await (await fetch(`${server.url}/api/v1/admin/caches`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as CachesBody;
    expect(admin.caches.find((c) => c.id === 'denying')?.verification).toMatchObject({ class: 'bad_answer', detail: expect.stringContaining('HTTP 403 (ERR_ACCESS_DENIED)') });
    expect(admin.caches.find((c) => c.id === 'dead')?.verification).toMatchObject({ class: 'refused', detail: expect.stringContaining(`connection refused by 127.0.0.1:${deadPort}`) });
    // The original routes leave them out too, and count the verified one as verified.
    const legacy = await (await fetch(`${server.url}/nearestverified/5`)).text();
    expect(legacy).toContain('"hostname": "good.test"');
    expect(legacy).not.toContain('denying.test');
    expect(legacy).not.toContain('dead.test');
  });

  it('does not probe the same loopback Squid for an unsigned heartbeat: not_probed, and not offered', async () => {
    const unsigned = originalHeartbeat({ uuid: 'unsigned', hostname: 'unsigned.test', cache_port: String(good.port), public_ip: '127.0.0.1', external_ip: null, private_ip: null, latitude: 48.46, longitude: -123.31, timestamp: clock.now() / 1000 });
    expect((await server.ingest.handle(JSON.stringify(unsigned))).ok).toBe(true);
    expect(await server.verifier!.runOnce()).toMatchObject({ notProbed: 1, waiting: 0 });
    const caches = (await (await fetch(`${server.url}/api/v1/caches`)).json()) as CachesBody;
    expect(caches.caches.find((c) => c.id === 'unsigned')?.verification).toEqual({ ok: false, class: 'not_probed', checked_at: expect.any(String) });
    expect(await offered()).toEqual(['good']);
    await server.registry.remove('unsigned');
  });

  it('offers a cache again once it passes', async () => {
    revived = await startSquid({ port: deadPort });
    await server.verifier!.runOnce();
    expect(server.registry.get('dead')?.verification?.ok).toBe(true);
    expect(await offered()).toEqual(['dead', 'good']);
  });

  it('a heartbeat does not wipe the verdict, and a cache that comes back after its TTL is checked afresh', async () => {
    await server.ingest.handle(JSON.stringify(loopbackCache(clock, 'denying', denying.port, SITE)));
    expect(server.registry.get('denying')?.verification?.ok).toBe(false);
    expect(await offered()).not.toContain('denying');

    clock.advance(server.config.cacheTtl * 1000 + 1000);
    await server.ingest.handle(JSON.stringify(loopbackCache(clock, 'denying', denying.port, SITE)));
    expect(server.registry.get('denying')?.verification).toBeNull();
    expect(await offered()).toEqual(['denying']);
  });
});

/**
 * What a caller is given is what was checked (--advertise). Loopback caches declared the operator's way,
 * by a keyring key allowing their names; `localhost` is resolved by the real system resolver (/etc/hosts).
 */
describe.runIf(squid)('the server checks what it hands out (--advertise), through the real Squid', () => {
  const clock = createManualClock(Date.now());
  const NAMES_KEY = { keyId: 'names', secret: 'names-test-secret-0123456789abcdef' };
  const NAMES_KEYRING = { keys: { [NAMES_KEY.keyId]: { secrets: [NAMES_KEY.secret], addresses: ['127.0.0.0/8'], hostnames: ['localhost', '*.invalid', '*.test'] } } };
  const CALLER = '142.104.1.1'; // Victoria, told the server through X-Forwarded-For from loopback (a trusted proxy)
  let origin: Origin;
  let squidAt: SquidInstance;
  let names = 0;

  const cache = (id: string, hostname: string, extra: Record<string, unknown> = {}) =>
    signMessage(
      originalHeartbeat({ uuid: id, hostname, cache_port: String(squidAt.port), external_ip: null, private_ip: null, latitude: 48.46, longitude: -123.31, timestamp: clock.now() / 1000, ...extra }),
      NAMES_KEY,
      ++names,
    );
  const start = async (advertise: 'hostname' | 'address') => {
    const server = await startTestServer({
      clock,
      amqp: false,
      flags: { advertise, verify: true, verifyUrls: publishedUrl(origin), verifyInterval: 3600, verifyTimeout: 2000, signatureMode: 'permissive', keyringFile: await writeKeyringFile(NAMES_KEYRING), trustedProxies: '127.0.0.1' },
    });
    return server;
  };
  const get = (server: TestServer, path: string) => fetch(`${server.url}${path}`, { headers: { 'X-Forwarded-For': CALLER } });
  const nearest = async (server: TestServer) =>
    ((await (await get(server, '/api/v1/nearest?count=10')).json()) as { caches: { id: string; hostname: string; proxy: string; address: string }[] }).caches;

  beforeAll(async () => {
    origin = await startOrigin();
    squidAt = await startSquid();
  });
  afterAll(async () => {
    await squidAt?.stop();
    await origin?.close();
  });

  it('hostname: a name resolving to loopback is probed at every address it resolves to; a name that does not resolve is not verified, though its public address serves', async () => {
    const server = await start('hostname');
    try {
      for (const [id, name, extra] of [['byname', 'localhost', {}], ['nowhere', 'squid.shoal.invalid', { public_ip: '127.0.0.1' }]] as const) {
        expect((await server.ingest.handle(JSON.stringify(cache(id, name, extra)))).ok).toBe(true);
      }
      const round = await server.verifier!.runOnce();
      expect(round).toMatchObject({ checked: 2, failed: expect.any(Number), notProbed: 0 });

      // Every address `localhost` resolves to here was probed; the Squid listens on 127.0.0.1 only, so a
      // name that also gives ::1 must not pass.
      const addresses = await resolveName(host('localhost'));
      expect(addresses).toContain('127.0.0.1');
      const onlyIpv4 = addresses.every((a) => a === '127.0.0.1');
      expect(server.registry.get('byname')?.verification?.ok).toBe(onlyIpv4);
      if (!onlyIpv4) expect(server.registry.get('byname')?.verification?.reason).toContain('::1');

      expect(server.registry.get('nowhere')?.verification).toMatchObject({ ok: false, reason: 'refused: squid.shoal.invalid does not resolve' });
      const offered = await nearest(server);
      expect(offered.map((c) => c.id)).toEqual(onlyIpv4 ? ['byname'] : []);
      if (onlyIpv4) expect(offered[0]).toMatchObject({ hostname: 'localhost', proxy: `http://localhost:${squidAt.port}`, address: 'localhost' });
    } finally {
      await server.stop();
    }
  });

  it('address: the cache is checked, and given in every answer, at its public address, whatever its name', async () => {
    const server = await start('address');
    try {
      expect((await server.ingest.handle(JSON.stringify(cache('addr', 'squid.shoal.invalid', { public_ip: '127.0.0.1' })))).ok).toBe(true);
      expect(await server.verifier!.runOnce()).toMatchObject({ checked: 1, passed: 1 });
      const proxy = `http://127.0.0.1:${squidAt.port}`;

      const [json] = await nearest(server);
      expect(json).toMatchObject({ id: 'addr', hostname: 'squid.shoal.invalid', proxy, address: '127.0.0.1' });
      const list = async (format: string) => (await (await get(server, `/api/v1/nearest?format=${format}`)).text()).trim();
      expect(await list('cvmfs')).toMatch(new RegExp(`^${proxy}(;DIRECT)?$`));
      expect(await list('text')).toBe(proxy);
      expect(await list('frontier')).toBe(`(proxyurl=${proxy})`);
      const pac = await (await get(server, '/wpad.dat')).text();
      expect(pac).toContain(`PROXY 127.0.0.1:${squidAt.port}`);
      expect(pac).not.toContain('invalid');
      // The original routes: the name stays in `hostname`; `public_ip`, where original clients connect, is the probed address.
      const legacy = await (await get(server, '/nearestverified/5')).text();
      expect(legacy).toContain('"hostname": "squid.shoal.invalid"');
      expect(legacy).toContain('"public_ip": "127.0.0.1"');
      expect(legacy).toContain('"verified": true');
    } finally {
      await server.stop();
    }
  });
});
