import amqp from 'amqplib';
import fc from 'fast-check';
import { createPacResolver } from 'pac-resolver';
import { QuickJS } from 'quickjs-wasi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXCHANGE_OPTIONS, HEARTBEAT_ROUTING_KEY } from '../../shared/amqp.js';
import { PLACES } from '../support/app.js';
import {
  expectAddress,
  expectCvmfsProxy,
  expectFrontierProxies,
  expectHost,
  expectHostPort,
  expectPacAnswer,
  expectPlainText,
  expectProxyUrl,
} from '../support/proxy-grammar.js';
import { originalHeartbeat, startTestServer, waitFor, type TestServer } from '../support/server.js';
import { AMQP_URL, rabbitAvailable } from '../support/services.js';

/**
 * Issue 15's main property: hostile names, addresses, ports and zone ids, published beside legitimate
 * caches through the real AMQP path, never put anything but a well-formed proxy into any output, and the
 * legitimate caches are still served. Every member of every format is checked against the grammar in
 * test/support/proxy-grammar.ts, which knows nothing of the code under test.
 */

const rabbit = await rabbitAvailable();
const qjs = await QuickJS.create();

const CALLER = PLACES.cern;
const CVMFS_URL = 'http://cvmfs-stratum-one.cern.ch:8000/cvmfs/atlas.cern.ch/.cvmfspublished';
const FRONTIER_URL = 'http://cmsfrontier.cern.ch:8000/FrontierProd/Frontier?encoding=BLOBzip5';
/** In every hostile name and address, and in no legitimate one: no output may ever contain it. */
const MARKER = 'rogue.example';

const LEGIT = [
  { hostname: 'legit-a.uvic.test', public_ip: PLACES.victoria },
  { hostname: 'legit-b.cern.test', public_ip: PLACES.cern },
  { hostname: 'legit-c.tokyo.test', public_ip: PLACES.tokyo },
  { hostname: 'constructor', public_ip: PLACES.cern },
].map((fields, i) => originalHeartbeat({ ...fields, uuid: `legit${i}${Date.now()}`, verified: true }));

// --- Generators -------------------------------------------------------------------------------------

/** Characters that end, split or escape a member in some output: shell, CVMFS, Frontier, PAC, JSON, URL. */
const INJECTED = [';', '|', '(', ')', '$', '`', "'", '"', ',', ' ', '\t', '\n', '\r', '\u0000', '\u001b', '\u2028', '\u2029', '/', '@', '[', ']', '%', '\\', '<', '>', '{', '}', '=', '#', '?', '&', '*', '_', '+', 'é', '\u00a0'];
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const dnsName = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));
const injected = fc.constantFrom(...INJECTED);

const hostileName = fc.oneof(
  fc.constantFrom(
    `$(touch\${IFS}/tmp/x).${MARKER}`,
    `a;DIRECT;http://${MARKER}:3128`,
    `evil|http://${MARKER}:3128`,
    `x)(proxyurl=http://${MARKER}:3128`,
    `x)(serverurl=${MARKER}/Frontier`,
    `');alert("${MARKER}");//`,
    `[x]@127.0.0.1:19050/.${MARKER}`,
    `u@${MARKER}`,
    `${MARKER}/x`,
    `${MARKER}:3128`,
    `${MARKER}\u2028x`,
    `fe80::1%${MARKER}`,
  ),
  fc.tuple(dnsName, injected, dnsName).map(([a, c, b]) => `${a}${c}${MARKER}.${b}`),
  // Hostile after the schema's trim too: `name\u2028` is the valid `name` once trimmed.
  fc
    .tuple(dnsName, fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }))
    .map(([a, junk]) => `${a}.${MARKER}${junk}`)
    .filter((s) => /[^A-Za-z0-9.-]/.test(s.trim())),
);

/** Unusual but valid: the server must accept these and write them in their one spelling. */
const oddName = fc.oneof(
  fc.constantFrom('prototype', 'hasownproperty', 'tostring', 'valueof', 'CONSTRUCTOR', 'Squid.Example.ORG.', 'xn--zrich-kva.example', `${'a'.repeat(63)}.test`, '2001:DB8::1', '::ffff:142.104.1.1'),
  dnsName.map((n) => n.toUpperCase()),
  fc.ipV4(),
  fc.ipV6(),
);

const zoneId = fc.oneof(fc.constantFrom('eth0', `<script>,${MARKER}`, 'a,b', '"q"', '\u0000', '\u2028', 'x'.repeat(64)), fc.string({ maxLength: 64 }));
const zoned = fc.tuple(fc.constantFrom('fe80::1', '::ffff:142.104.1.1', '2001:db8::1', PLACES.cern), zoneId).map(([a, z]) => `${a}%${z}`);
const hostileAddress = fc.oneof(
  zoned,
  fc.constantFrom('010.1.2.3', '1.2.3', '[::1]', '0x7f.0.0.1', `${PLACES.cern},10.0.0.1`, `${PLACES.cern}/24`, 'localhost', MARKER, '::g', `${PLACES.cern}\u0000`),
);
const address = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(PLACES.cern, PLACES.victoria, PLACES.tokyo, `::ffff:${PLACES.cern}`) },
  { weight: 1, arbitrary: fc.oneof(fc.ipV4(), fc.ipV6()) },
  { weight: 3, arbitrary: hostileAddress },
);

const hostilePort = fc.constantFrom<unknown>('0x50', '0b11', '1e3', '0', '65536', '-1', '1.5', '+80', '８０', '', 0, 65536, -1, 1.5, null, true, [3128], {});
const port = fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }).map(String), fc.constant(3128), hostilePort);

let serial = 0;
const heartbeat = fc
  .record({
    hostname: fc.oneof({ weight: 3, arbitrary: hostileName }, { weight: 1, arbitrary: oddName }),
    portField: fc.constantFrom('cache_port', 'squid_port'),
    port,
    public_ip: address,
    private_ip: fc.option(address, { nil: undefined }),
    external_ip: fc.option(address, { nil: undefined }),
    upstream: fc.constantFrom('cvmfs', 'frontier', 'both'),
    status_reason: fc.option(fc.constantFrom('disk full, "really"', 'a\u0000b\u2028c'), { nil: undefined }),
  })
  .map(({ portField, port: p, ...fields }) =>
    originalHeartbeat({ ...fields, cache_port: undefined, [portField]: p, uuid: `hostile${serial++}${Date.now()}` }),
  );

/**
 * Valid by construction, so every batch reaches the accepting side: a batch of the hostile mix alone is all
 * refused about one run in eight, and the property then says nothing about what an accepted odd cache serves.
 */
const acceptableName = fc.oneof(
  fc.constantFrom('prototype', 'hasownproperty', 'tostring', 'valueof', 'CONSTRUCTOR', 'Squid.Example.ORG.', 'xn--zrich-kva.example'),
  // A last label with a letter: an all-digit one reads as an address and is refused.
  dnsName.map((n) => `${n}.test`.toUpperCase()),
);
const acceptable = fc
  .record({
    hostname: acceptableName,
    cache_port: fc.integer({ min: 1, max: 65535 }),
    public_ip: fc.constantFrom(PLACES.cern, PLACES.victoria, PLACES.tokyo, `::ffff:${PLACES.cern}`),
    upstream: fc.constantFrom('cvmfs', 'frontier', 'both'),
  })
  .map((fields) => originalHeartbeat({ ...fields, uuid: `odd${serial++}${Date.now()}` }));
const batchOf = fc
  .tuple(fc.array(heartbeat, { minLength: 7, maxLength: 10 }), fc.array(acceptable, { minLength: 1, maxLength: 2 }))
  .map(([mixed, valid]) => [...mixed, ...valid]);

// --- The server and its outputs -----------------------------------------------------------------------

describe.runIf(rabbit)('hostile heartbeats through AMQP into every output', () => {
  let server: TestServer;
  let connection: amqp.ChannelModel;
  let channel: amqp.ConfirmChannel;

  const consumed = async () => ((await server.metrics.heartbeats.get()).values ?? []).reduce((n, v) => n + v.value, 0);

  /** Publishes as the original agent does, and waits until the server has taken every message. */
  const publish = async (messages: readonly Record<string, unknown>[]) => {
    const before = await consumed();
    for (const m of messages) channel.publish(server.config.exchange, HEARTBEAT_ROUTING_KEY, Buffer.from(JSON.stringify(m)), { contentType: 'application/json' });
    await channel.waitForConfirms();
    await waitFor(async () => (await consumed()) >= before + messages.length, { what: `the server to consume ${messages.length} heartbeats` });
  };

  const get = async (path: string) => {
    const response = await fetch(`${server.url}${path}`, { headers: { 'X-Forwarded-For': CALLER } });
    const text = await response.text();
    expect(response.status, `${path} → ${text.slice(0, 300)}`).toBe(200);
    expect(text, path).not.toContain(MARKER);
    return text;
  };

  beforeAll(async () => {
    server = await startTestServer({ flags: { trustedProxies: '127.0.0.1' } });
    connection = await amqp.connect(AMQP_URL);
    channel = await connection.createConfirmChannel();
    await channel.assertExchange(server.config.exchange, 'topic', EXCHANGE_OPTIONS);
    await publish(LEGIT);
    for (const hb of LEGIT) expect(server.registry.get(hb.uuid as string), hb.hostname as string).toBeDefined();
  });

  afterAll(async () => {
    await connection?.close();
    await server?.stop(); // and removes its exchange
  });

  /** Every format of every route, checked member by member; returns the hosts each one served. */
  const checkEveryOutput = async (): Promise<Record<string, Set<string>>> => {
    const served: Record<string, Set<string>> = {};
    const saw = (route: string, host: string) => (served[route] ??= new Set()).add(host);

    const cvmfs = (await get('/api/v1/nearest?format=cvmfs&count=100')).replace(/\n$/, '');
    for (const m of expectCvmfsProxy(cvmfs, 'cvmfs')) saw('cvmfs', expectProxyUrl(m, 'cvmfs').host);

    const frontier = (await get('/api/v1/nearest?format=frontier&count=100')).replace(/\n$/, '');
    for (const m of expectFrontierProxies(frontier, 'frontier')) saw('frontier', expectProxyUrl(m, 'frontier').host);

    const text = await get('/api/v1/nearest?format=text&count=100');
    expect(text === '' || text.endsWith('\n')).toBe(true);
    for (const line of text.split('\n').slice(0, -1)) saw('text', expectProxyUrl(line, 'text').host);

    type ApiCache = { hostname: string; address?: string; proxy: string; port: number; public_ip: string | null; private_ip: string | null; external_ip: string | null };
    const json = JSON.parse(await get('/api/v1/nearest?count=100')) as { caches: ApiCache[] };
    const caches = JSON.parse(await get('/api/v1/caches')) as { caches: ApiCache[] };
    for (const [route, list] of [['json', json.caches], ['caches', caches.caches]] as const) {
      for (const c of list) {
        const { host, port } = expectProxyUrl(c.proxy, route);
        expect(port).toBe(c.port);
        expect(host).toBe(expectHost(c.address ?? c.hostname, route));
        expectHost(c.hostname, route);
        for (const ip of [c.public_ip, c.private_ip, c.external_ip]) if (ip !== null) expectAddress(ip, route);
        saw(route, c.hostname);
      }
    }

    for (const path of ['/api/v1/nearest?format=pac&count=100', '/proxy.pac?count=100', '/wpad.dat?count=100']) {
      const pac = await get(path);
      expect(pac, path).toMatch(/^[\x20-\x7e\n]*$/);
      // Every string literal is either one of the template's own or a member.
      const own = new Set(['DIRECT', '; DIRECT', '', '; ', '*/cvmfs/*', '*/Frontier*', '*/frontier*', '*frontier*']);
      for (const [, literal] of pac.matchAll(/"((?:[^"\\\n]|\\.)*)"/g)) {
        if (own.has(literal as string)) continue;
        expect(literal, path).toMatch(/^PROXY /);
        expectHostPort((literal as string).slice('PROXY '.length), path);
      }
      expect(pac).not.toMatch(/'/);
      const find = createPacResolver(qjs, pac);
      for (const url of [CVMFS_URL, FRONTIER_URL]) for (const host of expectPacAnswer(await find(url), path)) saw(path.split('?')[0] as string, host);
      expect(await find('https://www.example.org/')).toBe('DIRECT');
    }

    // The original routes: Python json.dumps text that deployed clients read with regular expressions.
    for (const path of ['/nearest/100', '/nearestverified/100', '/nearestcvmfs/100/', '/nearestconditions/100', '/all']) {
      const body = await get(path);
      const parsed = JSON.parse(body) as Record<string, Record<string, unknown>> | null;
      for (const entry of Object.values(parsed ?? {})) {
        const host = expectHost(entry.hostname, path);
        for (const key of ['public_ip', 'private_ip', 'external_ip']) if (entry[key] !== null) expectAddress(entry[key], `${path} ${key}`);
        expect(Number.isInteger(entry.squid_port) && (entry.squid_port as number) >= 1 && (entry.squid_port as number) <= 65535).toBe(true);
        const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : []);
        for (const s of strings(entry)) expectPlainText(s, path);
        saw(path.replace(/\/100\/?$/, ''), host);
      }
      // As the original client reads it.
      for (const [, quoted] of body.matchAll(/"hostname": ([^,]+)[,|}]/g)) expectHost(JSON.parse(quoted as string), `${path} (regex)`);
    }

    const wlcg = JSON.parse(await get('/api/v1/export/wlcg-wpad')) as Record<string, { public_ip: string; private_ip?: string }>;
    for (const [host, entry] of Object.entries(wlcg)) {
      expectHost(host, 'wlcg-wpad');
      expectAddress(entry.public_ip, 'wlcg-wpad public_ip');
      if (entry.private_ip !== undefined) expectAddress(entry.private_ip, 'wlcg-wpad private_ip');
      saw('wlcg-wpad', host);
    }

    const legitNames = LEGIT.map((hb) => hb.hostname as string);
    const geo = await get(`/cvmfs/atlas.cern.ch/api/v1.0/geo/${CALLER}/${legitNames.join(',')}`);
    expect(geo).toMatch(/^\d+(,\d+)*\n$/);

    const status = await get('/?per=250');
    for (const name of legitNames) expect(status).toContain(name);

    return served;
  };

  it('serves only well-formed proxies, and still serves the legitimate caches', async () => {
    const outcomes = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(batchOf, async (batch) => {
        await publish(batch);
        for (const hb of batch) {
          const entry = server.registry.get(hb.uuid as string);
          outcomes[entry ? 'accepted' : 'refused'] += 1;
          // A name or address with the marker is hostile by construction: it must never get in.
          if (JSON.stringify([hb.hostname, hb.public_ip, hb.private_ip, hb.external_ip]).includes(MARKER)) expect(entry, JSON.stringify(hb)).toBeUndefined();
        }
        const served = await checkEveryOutput();
        for (const hb of LEGIT) {
          for (const route of ['cvmfs', 'frontier', 'text', 'json', 'caches', '/api/v1/nearest', '/proxy.pac', '/wpad.dat', '/nearest', '/nearestcvmfs', '/nearestconditions', '/all', 'wlcg-wpad']) {
            expect([...(served[route] ?? [])], `${hb.hostname as string} in ${route}`).toContain(hb.hostname);
          }
        }
      }),
      { numRuns: 4, endOnFailure: true },
    );
    // The generators must reach both sides, or the property says little.
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
    for (const e of server.registry.snapshot()) {
      expectHost(e.heartbeat.hostname, `registry ${e.id}`);
      for (const ip of [e.heartbeat.publicIp, e.heartbeat.privateIp, e.heartbeat.externalIp]) if (ip !== undefined) expectAddress(ip, `registry ${e.id}`);
    }
  });
});
