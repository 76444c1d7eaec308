import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCache, PLACES } from '../../../support/app.js';
import { createManualClock } from '../../../support/clock.js';
import { startTestServer, type TestServer } from '../../../support/server.js';

const series = (text: string, name: string) => text.split('\n').filter((line) => line.startsWith(`${name}{`));

describe('per-cache gauges in /metrics', () => {
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  let server: TestServer;
  let squid: string;
  let plain: string;
  const metrics = async () => (await server.app.request('/metrics')).text();

  beforeAll(async () => {
    server = await startTestServer({ amqp: false, clock, flags: { cacheTtl: 180 } });
    squid = await addCache(server, { hostname: 'squid.cern.test', public_ip: PLACES.cern, external_ip: undefined, load: 97_000, max_load: '122000', request_rate: 150.5, client_count: 12 });
    plain = await addCache(server, { hostname: 'old-agent.test', public_ip: PLACES.tokyo, external_ip: undefined, load: 10 });
  });
  afterAll(async () => server?.stop());

  it('has load, max load and, for caches whose agent sends them, the Squid figures, by id and hostname', async () => {
    const text = await metrics();
    expect(series(text, 'shoal_cache_load').sort()).toEqual(
      [`shoal_cache_load{id="${squid}",hostname="squid.cern.test"} 97000`, `shoal_cache_load{id="${plain}",hostname="old-agent.test"} 10`].sort(),
    );
    // old-agent.test sends no max load: the server's default is what it is ranked against.
    expect(series(text, 'shoal_cache_max_load').sort()).toEqual(
      [`shoal_cache_max_load{id="${squid}",hostname="squid.cern.test"} 122000`, `shoal_cache_max_load{id="${plain}",hostname="old-agent.test"} 122000`].sort(),
    );
    expect(series(text, 'shoal_cache_request_rate')).toEqual([`shoal_cache_request_rate{id="${squid}",hostname="squid.cern.test"} 150.5`]);
    expect(series(text, 'shoal_cache_client_count')).toEqual([`shoal_cache_client_count{id="${squid}",hostname="squid.cern.test"} 12`]);
  });

  it('drops the series of a cache that said goodbye, and of one that expired', async () => {
    await addCache(server, { uuid: squid, hostname: 'squid.cern.test', public_ip: PLACES.cern, external_ip: undefined, status: 'leaving' });
    let text = await metrics();
    expect(text).not.toContain(squid);
    expect(series(text, 'shoal_cache_load')).toHaveLength(1);
    clock.advance(181_000);
    text = await metrics();
    expect(series(text, 'shoal_cache_load')).toEqual([]);
    expect(series(text, 'shoal_cache_max_load')).toEqual([]);
  });
});

describe('--no-per-cache-metrics', () => {
  let server: TestServer;
  afterAll(async () => server?.stop());

  it('leaves the per-cache gauges out; the others stay', async () => {
    server = await startTestServer({ amqp: false, flags: { perCacheMetrics: false } });
    await addCache(server, { hostname: 'squid.cern.test', public_ip: PLACES.cern, external_ip: undefined, request_rate: 1, client_count: 1 });
    const text = await (await server.app.request('/metrics')).text();
    expect(text).not.toMatch(/^(# HELP )?shoal_cache_(load|max_load|request_rate|client_count)\b/m);
    expect(text).toContain('shoal_caches{state="ok"} 1');
  });
});
