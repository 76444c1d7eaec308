import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../shared/clock.js';
import { originalHeartbeat, startTestServer, type TestServer } from '../support/server.js';

/** The status page's HTTP side, in-process (no broker: heartbeats go straight to the ingest). */
describe('status page routes', () => {
  const clock = createManualClock(Date.UTC(2026, 0, 1, 12));
  let server: TestServer;

  const get = (path: string) => server.app.request(path);
  const rowsOf = (html: string) => [...html.matchAll(/<tr data-id="([^"]+)"/g)].map((m) => m[1]);

  beforeAll(async () => {
    server = await startTestServer({ amqp: false, clock });
    // 120 caches: every third located by declared coordinates, one in three loaded more than the last.
    for (let i = 0; i < 120; i++) {
      const body = originalHeartbeat({
        uuid: `cache${String(i).padStart(3, '0')}`,
        hostname: `squid${i}.site${i % 7}.test`,
        load: i * 100,
        max_load: 20_000,
        timestamp: clock.now() / 1000,
        ...(i % 3 === 0 ? { latitude: 46.2 + i / 100, longitude: 6.1 } : { external_ip: undefined, private_ip: '10.0.0.1' }),
        ...(i === 5 ? { status: 'failing', status_reason: 'test URL answered 503' } : {}),
        ...(i === 6 ? { verified: true } : {}),
      });
      const result = await server.ingest.handle(JSON.stringify(body));
      expect(result.ok).toBe(true);
    }
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves the page with a table page, a marker per located cache and a strict CSP', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await response.text();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(rowsOf(html)).toHaveLength(50);
    expect(html.match(/<circle class="marker /g)).toHaveLength(40);
    expect(html).toContain('<strong>120</strong> caches');
  });
});
