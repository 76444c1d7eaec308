import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLACES } from '../../../support/app.js';
import { startTestServer, type TestServer } from '../../../support/server.js';

describe('/bench routes', () => {
  let withRoute: TestServer;
  let without: TestServer;
  beforeAll(async () => {
    withRoute = await startTestServer({ amqp: false, flags: { benchRoute: true, trustedProxies: '127.0.0.1' } });
    without = await startTestServer({ amqp: false });
  });
  afterAll(async () => {
    await withRoute?.stop();
    await without?.stop();
  });

  it('answers a fixed small JSON body with --bench-route', async () => {
    const response = await fetch(`${withRoute.url}/bench/bare`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', route: 'bare' });
  });

  it('finds the caller on /bench/caller as a lookup does (here by GeoIP, through a trusted proxy)', async () => {
    const located = await fetch(`${withRoute.url}/bench/caller`, { headers: { 'x-forwarded-for': PLACES.tokyo } });
    expect(await located.json()).toEqual({ status: 'ok', route: 'caller', located_by: 'geoip' });
    const loopback = await fetch(`${withRoute.url}/bench/caller`);
    expect(await loopback.json()).toEqual({ status: 'ok', route: 'caller', located_by: 'unknown' });
  });

  it('does not exist without it', async () => {
    for (const path of ['/bench/bare', '/bench/caller']) expect((await fetch(`${without.url}${path}`)).status).toBe(404);
  });
});
