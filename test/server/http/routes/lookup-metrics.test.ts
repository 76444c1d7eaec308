import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../support/server.js';
import { addCache, PLACES, startAppServer } from '../../../support/app.js';

/** Every lookup route records its time and outcome through one recordLookup (http/respond.ts). */
describe('lookup metrics', () => {
  let server: TestServer;

  beforeAll(async () => {
    // `/nearest/2` is asked in-process, with no caller address: ranked by load rather than `null`.
    server = await startAppServer({ unknownCaller: 'by-load' });
    await addCache(server, { hostname: 'near.test', public_ip: PLACES.cern, external_ip: undefined });
    await addCache(server, { hostname: 'busy.test', public_ip: PLACES.tokyo, external_ip: undefined, cache_type: 'varnish', max_load: '100', load: 500 });
  });
  afterAll(async () => server?.stop());

  const metrics = async () => (await server.app.request('/metrics')).text();

  it.each([
    ['/api/v1/nearest JSON', `/api/v1/nearest?ip=${PLACES.cern}`, 'api_nearest'],
    ['/api/v1/nearest?format=pac (timed since issue 16)', `/api/v1/nearest?ip=${PLACES.cern}&format=pac`, 'api_nearest'],
    ['/wpad.dat', `/wpad.dat?ip=${PLACES.cern}`, 'pac'],
    ['/nearest', '/nearest/2', 'nearest'],
  ])('%s: a duration and an outcome', async (_why, path, route) => {
    const before = await metrics();
    const count = (text: string) => Number(new RegExp(`^shoal_lookup_duration_seconds_count\\{route="${route}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    expect((await server.app.request(path)).status).toBe(200);
    const after = await metrics();
    expect(count(after)).toBe(count(before) + 1);
    expect(after).toMatch(new RegExp(`shoal_lookups_total\\{route="${route}",outcome="found"\\} \\d+`));
  });

  it('counts an answer that had to offer an overloaded cache as degraded (the JSON API only, as before)', async () => {
    await server.app.request(`/api/v1/nearest?ip=${PLACES.cern}&type=varnish`); // the one varnish is overloaded
    expect(await metrics()).toMatch(/shoal_lookups_total\{route="api_nearest",outcome="degraded"\} 1/);
  });

  it('counts /all without a duration: it ranks nothing', async () => {
    expect((await server.app.request('/all')).status).toBe(200);
    const text = await metrics();
    expect(text).toMatch(/shoal_lookups_total\{route="all",outcome="found"\} 1/);
    expect(text).not.toMatch(/shoal_lookup_duration_seconds_count\{route="all"\}/);
  });
});
