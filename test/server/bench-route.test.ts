import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

describe('/bench/bare', () => {
  let withRoute: TestServer;
  let without: TestServer;
  beforeAll(async () => {
    withRoute = await startTestServer({ amqp: false, flags: { benchRoute: true } });
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

  it('does not exist without it', async () => {
    const response = await fetch(`${without.url}/bench/bare`);
    expect(response.status).toBe(404);
  });
});
