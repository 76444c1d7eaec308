import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../support/clock.js';
import { haversineKm } from '../../server/geo/sphere.js';
import { AMQP_URL, rabbitAvailable } from '../support/services.js';
import { BIN, runProgram, startProgram, type Running } from '../support/processes.js';
import { originalHeartbeat, publishRaw, startTestServer, waitFor, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp.js';

const rabbit = await rabbitAvailable();

const VICTORIA_IP = '142.104.1.1'; // University of Victoria: GeoIP says Victoria, BC
const TOKYO_IP = '133.11.0.1'; // University of Tokyo: GeoIP says Bunkyo-ku, Tokyo

interface NearestBody {
  caller: { ip: string; located_by: string; latitude: number; longitude: number };
  caches: { id: string; hostname: string; port: number; proxy: string; distance_km: number; location: { latitude: number; longitude: number; city: string } }[];
}

describe.runIf(rabbit)('agent → RabbitMQ → server → REST → client', () => {
  const clock = createManualClock(Date.now());
  let server: TestServer;
  let agent: Running;
  let dir: string;
  const uuid = `e2e${Date.now()}`;

  beforeAll(async () => {
    dir = await makeTempDir('shoal-e2e-');
    // The original routes are asked for a caller in Tokyo: one from loopback, which nothing places, gets `null` (--unknown-caller).
    server = await startTestServer({ clock, flags: { trustedProxies: '127.0.0.1' } });
    agent = startProgram(BIN.agent, [
      '--amqp-url', AMQP_URL,
      '--exchange', server.config.exchange,
      '--hostname', 'squid.uvic.test',
      '--cache-port', '3128',
      '--public-ip', VICTORIA_IP,
      '--uuid', uuid,
      '--interval', '1',
      '--test-urls', 'none', // no cache behind this agent: advertise without a self-check
      '--state-file', join(dir, 'uuid'),
    ]);
    await waitFor(() => server.registry.get(uuid), { what: 'the agent heartbeat', timeoutMs: 15_000 });
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
  });

  const nearest = async (query: string): Promise<NearestBody> => {
    const response = await fetch(`${server.url}/api/v1/nearest?${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as NearestBody;
  };

  it('lists the agent cache for a far-away caller, with the great-circle distance', async () => {
    const body = await nearest(`ip=${TOKYO_IP}`);
    expect(body.caller).toMatchObject({ ip: TOKYO_IP, located_by: 'geoip' });
    const cache = body.caches.find((c) => c.id === uuid);
    expect(cache).toBeDefined();
    expect(cache).toMatchObject({ hostname: 'squid.uvic.test', port: 3128, proxy: 'http://squid.uvic.test:3128' });
    expect(cache?.location.city).toBe('Victoria');
    const expected = haversineKm(body.caller, cache!.location);
    expect(expected).toBeGreaterThan(7000); // Tokyo to Victoria is about 7,500 km
    expect(cache?.distance_km).toBeCloseTo(expected, 0);
  });

  it('serves the original routes with Python json.dumps spacing', async () => {
    const text = await (await fetch(`${server.url}/nearest/3/?`, { headers: { 'X-Forwarded-For': TOKYO_IP } })).text();
    expect(text.startsWith('{"0": {"hostname": "squid.uvic.test", "squid_port": 3128, ')).toBe(true);
    expect(text).toContain('"geo_data": {"city": "Victoria", ');
    const wpad = await fetch(`${server.url}/wpad.dat`, { headers: { 'X-Forwarded-For': TOKYO_IP } });
    expect(wpad.headers.get('content-type')).toBe('application/x-ns-proxy-autoconfig');
    expect(await wpad.text()).toContain('"PROXY squid.uvic.test:3128"');
  });

  it('accepts a heartbeat exactly as the original Python agent publishes it', async () => {
    const hb = originalHeartbeat({ hostname: 'original.agent.test' });
    await publishRaw(server.config.exchange, JSON.stringify(hb).replaceAll('":', '": ').replaceAll(',"', ', "'));
    await waitFor(() => server.registry.get(hb.uuid as string), { what: 'the original heartbeat' });
    const all = await (await fetch(`${server.url}/all`)).text();
    expect(all).toContain('"hostname": "original.agent.test", "squid_port": 3128, "public_ip": "142.104.1.1", "private_ip": "10.1.2.3"');
  });

  it('counts and drops a malformed heartbeat without disturbing the registry', async () => {
    const before = server.registry.snapshot().length;
    await publishRaw(server.config.exchange, '{"uuid": "x", "hostname": "h", "cache_port": "not-a-port", "timestamp": 1}');
    await waitFor(async () => (await server.metrics.registry.getSingleMetricAsString('shoal_heartbeats_total')).includes('reason="cache_port"'), {
      what: 'the rejection metric',
    });
    expect(server.registry.snapshot().length).toBe(before);
    expect(server.registry.get('x')).toBeUndefined();
  });

  it('prints the proxy string with --dump and writes it into the CVMFS config, keeping other lines', async () => {
    // No Squid answers for squid.uvic.test here: skip verification (test/integration/client-squid.test.ts covers it).
    const quiet = ['--no-verify', '--discovery-time', '0', '--start-delay', '0', '--apply', 'never', '--state-file', join(dir, 'last-good.json')];
    const dump = await runProgram(BIN.client, ['--server', server.url, '--dump', ...quiet]);
    expect(dump.code).toBe(0);
    expect(dump.stdout.trim()).toMatch(/^http:\/\/[^;]+;.*DIRECT$/);
    expect(dump.stdout).toContain('http://squid.uvic.test:3128');

    const file = join(dir, 'default.local');
    await writeFile(file, '# site settings\nCVMFS_QUOTA_LIMIT=20000\nCVMFS_HTTP_PROXY=DIRECT\nCVMFS_REPOSITORIES=atlas.cern.ch\n');
    const write = await runProgram(BIN.client, ['--server', server.url, '--cvmfs-config', file, ...quiet]);
    expect(write.code).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).toBe(`# site settings\nCVMFS_QUOTA_LIMIT=20000\nCVMFS_HTTP_PROXY="${dump.stdout.trim()}"\nCVMFS_REPOSITORIES=atlas.cern.ch\n`);
  });

  it('drops a cache whose heartbeats stop, once the TTL has passed (injected clock, no sleeping)', async () => {
    await agent.stop(); // the agent says goodbye on SIGTERM, so publish a heartbeat of our own to expire
    const hb = originalHeartbeat({ hostname: 'expiring.test' });
    await publishRaw(server.config.exchange, JSON.stringify(hb));
    await waitFor(() => server.registry.get(hb.uuid as string), { what: 'the heartbeat' });

    clock.advance((server.config.cacheTtl - 1) * 1000);
    expect(server.registry.get(hb.uuid as string)).toBeDefined();
    clock.advance(2000);
    expect(server.registry.get(hb.uuid as string)).toBeUndefined();
    const body = await nearest(`ip=${TOKYO_IP}`);
    expect(body.caches.map((c) => c.hostname)).not.toContain('expiring.test');
    expect(await server.registry.sweep()).toEqual(expect.arrayContaining([expect.objectContaining({ id: hb.uuid })]));
  });

  it('removes the cache at once when its agent says goodbye', async () => {
    expect(server.registry.get(uuid)).toBeUndefined();
    expect(agent.output()).toContain('said goodbye');
  });
});
