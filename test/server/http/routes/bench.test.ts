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

  it("finds the caller on /bench/caller-answer, then sends a fixed answer the size of /api/v1/nearest's, with its headers", async () => {
    const response = await fetch(`${withRoute.url}/bench/caller-answer`, { headers: { 'x-forwarded-for': PLACES.tokyo } });
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('vary')).toBe('X-Forwarded-For');
    const text = await response.text();
    expect(text.length).toBeGreaterThan(4500);
    expect(text.length).toBeLessThan(5200);
    expect((JSON.parse(text) as { caches: unknown[] }).caches).toHaveLength(5);
    expect(await (await fetch(`${withRoute.url}/bench/caller-answer`)).text()).toBe(text);
  });

  it('does not exist without it', async () => {
    for (const path of ['/bench/bare', '/bench/caller', '/bench/caller-answer']) expect((await fetch(`${without.url}${path}`)).status).toBe(404);
  });
});
