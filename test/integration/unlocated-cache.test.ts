import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitAvailable } from '../support/services.js';
import { originalHeartbeat, publishRaw, startTestServer, waitFor, type TestServer } from '../support/server.js';
import { PLACES } from '../support/app.js';

const rabbit = await rabbitAvailable();

/** The text the original Python agent publishes: `json.dumps` spacing. */
const pythonJson = (value: unknown) => JSON.stringify(value).replaceAll('":', '": ').replaceAll(',"', ', "');

interface Nearest {
  caller: { located_by: string };
  note: string | null;
  caches: { hostname: string; distance_km: number | null; score: number }[];
}

// A cache whose address no GeoIP database knows (a carrier-grade NAT address here; a public block missing
// from the database does the same) and that declares no coordinates: the original agent never does.
const NOWHERE = 'nowhere.cache.test';
const LOCATED = { 'tokyo.cache.test': PLACES.tokyo, 'uvic.cache.test': PLACES.victoria, 'cern.cache.test': PLACES.cern } as const;

describe.runIf(rabbit)('a cache with no location, through RabbitMQ as the original agent sends it', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ flags: { trustedProxies: '127.0.0.1' } });
    const beats = [
      // Published first, so a tie on cost would have put it first too.
      originalHeartbeat({ hostname: NOWHERE, external_ip: '100.64.7.7', private_ip: '10.7.7.7' }),
      ...Object.entries(LOCATED).map(([hostname, ip]) => originalHeartbeat({ hostname, public_ip: ip, external_ip: undefined })),
    ];
    for (const hb of beats) await publishRaw(server.config.exchange, pythonJson(hb));
    await waitFor(() => beats.every((hb) => server.registry.get(hb.uuid as string)), { what: 'the four heartbeats' });
    expect(server.registry.get(beats[0]?.uuid as string)?.location).toBeNull();
  });
  afterAll(async () => server?.stop());

  const nearest = async (query: string): Promise<Nearest> => {
    const response = await fetch(`${server.url}/api/v1/nearest?count=10&${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Nearest;
  };

  it.each([
    ['Asia (Tokyo, by GeoIP)', `ip=${PLACES.tokyo}`, 'tokyo.cache.test'],
    ['Europe (CERN, by GeoIP)', `ip=${PLACES.cern}`, 'cern.cache.test'],
    ['North America (Victoria, by GeoIP)', `ip=${PLACES.victoria}`, 'uvic.cache.test'],
    ['Oceania (Sydney)', 'lat=-33.87&lon=151.21', 'tokyo.cache.test'],
    ['South America (Sao Paulo)', 'lat=-23.55&lon=-46.63', 'cern.cache.test'],
    ['Africa (Nairobi)', 'lat=-1.29&lon=36.82', 'cern.cache.test'],
  ])('/api/v1/nearest for a caller in %s: every located cache first, the unlocated one last with distance_km null, and the note says so', async (_where, query, first) => {
    const body = await nearest(query);
    expect(body.caller.located_by).not.toBe('unknown');
    expect(body.caches.map((c) => c.hostname)).toHaveLength(4);
    expect(body.caches[0]?.hostname).toBe(first);
    expect(body.caches.at(-1)).toMatchObject({ hostname: NOWHERE, distance_km: null });
    // Charged the farthest distance there is: its cost never reads as next door.
    expect(body.caches.at(-1)?.score).toBeGreaterThanOrEqual(0.5);
    for (const c of body.caches.slice(0, -1)) expect(c.distance_km).toEqual(expect.any(Number));
    expect(body.note).toBe('1 cache has no location (no GeoIP record, no declared coordinates): ranked after every located cache, distance_km null');
  });

  it('a caller with no position at all still gets it ranked by load alone, as every other cache', async () => {
    const body = await nearest('ip=192.168.7.7');
    expect(body.caller.located_by).toBe('unknown');
    expect(body.caches.map((c) => c.hostname)).toContain(NOWHERE);
    expect(body.note).not.toMatch(/no location \(no GeoIP/);
  });

  it('the original routes list it last, its `distance` (the cost) charged as far as can be', async () => {
    const text = await (await fetch(`${server.url}/nearest/5/`, { headers: { 'X-Forwarded-For': PLACES.tokyo } })).text();
    const hostnames = [...text.matchAll(/"hostname": "([^"]+)"/g)].map((m) => m[1]);
    const distances = [...text.matchAll(/"distance": ([^,]+),/g)].map((m) => Number(m[1]));
    expect(hostnames[0]).toBe('tokyo.cache.test');
    expect(hostnames.at(-1)).toBe(NOWHERE);
    expect(hostnames).toHaveLength(4);
    expect(distances.at(-1)).toBeGreaterThanOrEqual(0.5);
    expect(distances[0]).toBeLessThan(0.01);
  });

  it('the PAC file lists it after every located cache', async () => {
    const pac = await (await fetch(`${server.url}/wpad.dat`, { headers: { 'X-Forwarded-For': PLACES.cern } })).text();
    const at = (hostname: string) => pac.indexOf(`PROXY ${hostname}:3128`);
    expect(at('cern.cache.test')).toBeGreaterThan(-1);
    expect(at(NOWHERE)).toBeGreaterThan(-1);
    for (const hostname of Object.keys(LOCATED)) expect(at(hostname)).toBeLessThan(at(NOWHERE));
    expect(at('cern.cache.test')).toBeLessThan(at('tokyo.cache.test'));
  });
});
