import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../support/clock.js';
import { createNameLocator } from '../../../../server/geo/name-positions.js';
import type { TestServer } from '../../../support/server.js';
import { addCache, PLACES, startAppServer } from '../../../support/app.js';

const GEO = '/cvmfs/atlas.cern.ch/api/v1.0/geo';
const SERVERS = [PLACES.tokyo, PLACES.victoria, PLACES.cern].join(',');

describe('CVMFS geo API', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startAppServer({ trustedProxies: '127.0.0.1' });
    await addCache(server, { hostname: 'squid.uvic.test', public_ip: PLACES.victoria, external_ip: undefined });
  });
  afterAll(async () => server?.stop());

  const geo = async (path: string, init?: RequestInit) => {
    const response = await server.app.request(`${GEO}/${path}`, init);
    return { status: response.status, text: await response.text(), headers: response.headers };
  };

  it.each([
    [PLACES.cern, '3,2,1\n'], // Geneva: CERN, then Victoria (8,400 km), then Tokyo (9,700 km)
    [PLACES.tokyo, '1,2,3\n'],
    [PLACES.victoria, '2,1,3\n'],
  ])('orders the servers by distance from client %s, 1-based, as Stratum-1s answer', async (client, expected) => {
    const { status, text, headers } = await geo(`${client}/${SERVERS}`);
    expect(status).toBe(200);
    expect(text).toBe(expected);
    expect(headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(headers.get('cache-control')).toBe('public, max-age=3600');
  });

  it('places a registered cache by its hostname, without DNS', async () => {
    expect((await geo(`${PLACES.tokyo}/${PLACES.cern},squid.uvic.test`)).text).toBe('2,1\n');
  });

  it('puts servers it cannot place last, in their given order', async () => {
    expect((await geo(`${PLACES.cern}/10.0.0.1,${PLACES.tokyo},192.168.0.1,${PLACES.cern}`)).text).toBe('4,2,1,3\n');
  });

  it('falls back to the caller’s own address when the caching string places nothing', async () => {
    const response = await fetch(`${server.url}${GEO}/some-proxy-name/${SERVERS}`, { headers: { 'X-Forwarded-For': PLACES.tokyo } });
    expect(await response.text()).toBe('1,2,3\n');
    expect(response.headers.get('cache-control')).toBe('private, max-age=3600');
  });

  it('sorts proxies after +PXYSEP+ from the client, then the servers from the nearest proxy', async () => {
    // Client in Tokyo; the proxies are at CERN and Victoria: Victoria is nearer Tokyo, so servers sort from Victoria.
    const { text } = await geo(`${PLACES.tokyo}/${PLACES.cern},${PLACES.tokyo},${PLACES.victoria},+PXYSEP+,${PLACES.cern},${PLACES.victoria}`);
    expect(text).toBe('3,2,1,6,5,4\n');
  });

  it.each([
    [`${PLACES.cern}/ok.test,bad%20name`, 'servers', 'servers: "bad name" is not a host name or address'],
    [`${PLACES.cern}/10.0.0.1,192.168.1.1`, 'servers', 'no server addr found in database'],
    [`10.0.0.9/${SERVERS}`, 'client', 'remote addr not found in database'],
  ])('answers %s with a 400 naming %s', async (path, field, message) => {
    const { status, text } = await geo(path);
    expect(status).toBe(400);
    expect(JSON.parse(text)).toEqual({ error: { code: 'bad_request', field, message } });
  });
});

describe('name locator', () => {
  it('resolves a name once per TTL, prefers IPv4, and places registered caches without asking DNS', async () => {
    const clock = createManualClock();
    const server = await startAppServer();
    try {
      await addCache(server, { hostname: 'squid.uvic.test', public_ip: PLACES.victoria, external_ip: undefined });
      const asked: string[] = [];
      const names = createNameLocator({
        geoip: server.geoip,
        registry: server.registry,
        clock,
        ttlMs: 60_000,
        // No DNS on these machines: a resolver standing in for it, answering one known name.
        resolve: async (name) => {
          asked.push(name);
          if (name === 'stratum-one.test') return ['2001:db8::1', PLACES.cern];
          throw new Error('ENOTFOUND');
        },
      });
      const cern = await names.locate('Stratum-One.test');
      expect(cern?.latitude).toBeCloseTo(46.2, 0);
      await names.locate('stratum-one.test');
      expect(await names.locate('nowhere.test')).toBeNull();
      expect(await names.locate('nowhere.test')).toBeNull();
      expect((await names.locate('squid.uvic.test'))?.longitude).toBeCloseTo(-123.3, 0);
      expect(asked).toEqual(['stratum-one.test', 'nowhere.test']);
      clock.advance(60_001);
      await names.locate('stratum-one.test');
      expect(asked).toEqual(['stratum-one.test', 'nowhere.test', 'stratum-one.test']);
    } finally {
      await server.stop();
    }
  });
});
