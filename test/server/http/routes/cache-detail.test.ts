import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheDetailSchema, CachesResponseSchema, ErrorBodySchema } from '../../../../server/http/api-schemas.js';
import { addCache, getJson, PLACES } from '../../../support/app.js';
import { createManualClock } from '../../../support/clock.js';
import { startTestServer, type TestServer } from '../../../support/server.js';

describe('/api/v1/caches/<id> and the Squid figures', () => {
  const clock = createManualClock(Date.UTC(2026, 0, 1, 12));
  let server: TestServer;
  let squid: string;
  let plain: string;

  beforeAll(async () => {
    server = await startTestServer({ amqp: false, clock });
    const squidFields = { hostname: 'squid.cern.test', public_ip: PLACES.cern, external_ip: undefined, max_load: '122000' };
    squid = await addCache(server, { ...squidFields, load: 1000, request_rate: 150.5, client_count: 12 });
    plain = await addCache(server, { hostname: 'old-agent.test', public_ip: PLACES.tokyo, external_ip: undefined });
    // Three more heartbeats, 30 s apart, and one 5 s after the last (the same bucket: it replaces that sample).
    for (const [advance, load, rate] of [
      [30_000, 2000, 160],
      [30_000, 3000, 170],
      [30_000, 4000, 180],
      [5_000, 4500, 190.25],
    ] as const) {
      clock.advance(advance);
      await addCache(server, { ...squidFields, uuid: squid, load, request_rate: rate, client_count: 12 });
    }
    await server.registry.setVerification(squid, { ok: false, reason: 'refused: 127.0.0.1:22: connection refused', checkedMs: clock.now() - 60_000 });
    await server.registry.setVerification(squid, { ok: true, checkedMs: clock.now() });
  });
  afterAll(async () => server?.stop());

  it('lists request_rate and client_count in /api/v1/caches, null when the agent sends none', async () => {
    const { body } = await getJson(server, '/api/v1/caches');
    const caches = CachesResponseSchema.parse(body).caches;
    expect(caches.find((c) => c.id === squid)).toMatchObject({ request_rate: 190.25, client_count: 12 });
    expect(caches.find((c) => c.id === plain)).toMatchObject({ request_rate: null, client_count: null });
  });

  it('answers one cache as /api/v1/caches lists it, with its load over the last hour and its last checks', async () => {
    const { status, body, headers } = await getJson(server, `/api/v1/caches/${squid}`);
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('public, max-age=15');
    const detail = CacheDetailSchema.parse(body);
    const listed = CachesResponseSchema.parse((await getJson(server, '/api/v1/caches')).body).caches.find((c) => c.id === squid);
    const { history, ...entry } = detail;
    expect(entry).toEqual(listed);
    expect(history.window_s).toBe(3600);
    expect(history.bucket_s).toBe(30);
    const start = Date.UTC(2026, 0, 1, 12);
    expect(history.load).toEqual([
      { at: new Date(start).toISOString(), load: 1000, max_load: 122000, request_rate: 150.5, client_count: 12 },
      { at: new Date(start + 30_000).toISOString(), load: 2000, max_load: 122000, request_rate: 160, client_count: 12 },
      { at: new Date(start + 60_000).toISOString(), load: 3000, max_load: 122000, request_rate: 170, client_count: 12 },
      { at: new Date(start + 95_000).toISOString(), load: 4500, max_load: 122000, request_rate: 190.25, client_count: 12 },
    ]);
    // Newest first, and only the class: the detail (where it connected) is for the admin routes.
    expect(history.verification).toEqual([
      { ok: true, class: 'ok', checked_at: new Date(clock.now()).toISOString() },
      { ok: false, class: 'refused', checked_at: new Date(clock.now() - 60_000).toISOString() },
    ]);
    expect(JSON.stringify(body)).not.toContain('127.0.0.1:22');
  });

  it('answers a cache heard from once and never checked: one sample, no outcomes', async () => {
    const plainHistory = CacheDetailSchema.parse((await getJson(server, `/api/v1/caches/${plain}`)).body).history;
    expect(plainHistory.load).toHaveLength(1);
    expect(plainHistory.verification).toEqual([]);
  });

  it('answers 404 in the error envelope for a cache that is not listed, and after it said goodbye', async () => {
    const unknown = await getJson(server, '/api/v1/caches/no-such-cache');
    expect(unknown.status).toBe(404);
    expect(ErrorBodySchema.parse(unknown.body).error).toEqual({ code: 'not_found', message: 'no cache with id no-such-cache', field: 'id' });
    const leaving = await addCache(server, { hostname: 'leaving.test', public_ip: PLACES.victoria, external_ip: undefined });
    expect((await getJson(server, `/api/v1/caches/${leaving}`)).status).toBe(200);
    await addCache(server, { uuid: leaving, hostname: 'leaving.test', public_ip: PLACES.victoria, external_ip: undefined, status: 'leaving' });
    expect((await getJson(server, `/api/v1/caches/${leaving}`)).status).toBe(404);
    expect(server.history.load.samples(leaving)).toEqual([]);
  });

  it.each([
    ['a space', 'bad%20id', 'id'],
    ['a quote', 'x%22y', 'id'],
    ['too long', 'a'.repeat(129), 'id'],
    ['a parameter', `${'x'}?colour=blue`, 'colour'],
  ])('answers an id with %s with a 400 naming the field', async (_what, path, field) => {
    const { status, body } = await getJson(server, `/api/v1/caches/${path}`);
    expect(status).toBe(400);
    expect(ErrorBodySchema.parse(body).error).toMatchObject({ code: 'bad_request', field });
  });

  it('is described in /openapi.json', async () => {
    const { body } = await getJson<{ paths: Record<string, { get?: { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> } }> }>(server, '/openapi.json');
    const route = body.paths['/api/v1/caches/{id}']?.get;
    expect(route?.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path' })]);
    expect(Object.keys(route?.responses ?? {}).sort()).toEqual(['200', '400', '404']);
  });
});
