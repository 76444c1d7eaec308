import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminCacheSchema, AdminCachesSchema, CachesResponseSchema, NearestResponseSchema } from '../../../server/http/api-schemas.js';
import { failureReason } from '../../../server/verification/outcome.js';
import type { TestServer } from '../../support/server.js';
import { addCache, getJson, PLACES, startAppServer } from '../../support/app.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };

/** What the verifier records, one of each class (the detail is what a scanner would want). */
const DETAILS = {
  refused: `http://s1.test/cvmfs/atlas.cern.ch/.cvmfspublished: connection refused by 142.104.1.1:22`,
  timeout: 'http://s1.test/cvmfs/atlas.cern.ch/.cvmfspublished: no answer within 1500 ms',
  bad_answer: 'http://s1.test/cvmfs/atlas.cern.ch/.cvmfspublished: HTTP 400',
  not_probed: 'loopback address 127.0.0.1: not public, and the cache is neither signed by a keyring key nor inside the coverage file',
} as const;
const CLASSES = Object.keys(DETAILS) as (keyof typeof DETAILS)[];

describe('verification in the views: coarse in public, detailed behind the admin token', () => {
  let server: TestServer;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startAppServer({ adminToken: TOKEN });
    ids.ok = await addCache(server, { hostname: 'ok.test', public_ip: PLACES.victoria, external_ip: undefined });
    await server.registry.setVerification(ids.ok, { ok: true, checkedMs: server.clock.now() });
    for (const cls of CLASSES) {
      ids[cls] = await addCache(server, { hostname: `${cls.replace('_', '-')}.test`, public_ip: PLACES.victoria, external_ip: undefined });
      await server.registry.setVerification(ids[cls], { ok: false, reason: failureReason(cls, DETAILS[cls]), checkedMs: server.clock.now() });
    }
  });
  afterAll(async () => server?.stop());

  const leaksNoDetail = (text: string) => {
    for (const detail of Object.values(DETAILS)) expect(text).not.toContain(detail.slice(detail.lastIndexOf(': ') + 2));
    expect(text).not.toContain('s1.test');
  };

  it('/api/v1/caches shows pass/fail and the class only', async () => {
    const response = await server.app.request('/api/v1/caches');
    const text = await response.text();
    leaksNoDetail(text);
    const body = CachesResponseSchema.parse(JSON.parse(text));
    const byId = new Map(body.caches.map((c) => [c.id, c.verification]));
    expect(byId.get(ids.ok!)).toEqual({ ok: true, class: 'ok', checked_at: expect.any(String) });
    for (const cls of CLASSES) expect(byId.get(ids[cls]!)).toEqual({ ok: false, class: cls, checked_at: expect.any(String) });
  });

  it('/api/v1/nearest (with the failed ones, inside no site, left out) shows no detail either', async () => {
    const response = await server.app.request(`/api/v1/nearest?ip=${PLACES.victoria}&count=10`);
    const text = await response.text();
    leaksNoDetail(text);
    expect(NearestResponseSchema.parse(JSON.parse(text)).caches.map((c) => c.verification?.class)).toEqual(['ok']);
  });

  it('the status page shows the class, not the detail', async () => {
    const html = await (await server.app.request('/?per=25')).text();
    leaksNoDetail(html);
    expect(html).toContain('server check: refused (no HTTP answer)');
    expect(html).toContain('server check: not probed (no public address)');
  });

  it('the admin routes show the detail, to the token holder only', async () => {
    const one = await getJson(server, `/api/v1/admin/caches/${ids.bad_answer}`, auth);
    expect(one.status).toBe(200);
    expect(AdminCacheSchema.parse(one.body).verification).toEqual({ ok: false, class: 'bad_answer', detail: DETAILS.bad_answer, checked_at: expect.any(String) });

    const all = AdminCachesSchema.parse((await getJson(server, '/api/v1/admin/caches', auth)).body);
    const byId = new Map(all.caches.map((c) => [c.id, c.verification]));
    for (const cls of CLASSES) expect(byId.get(ids[cls]!)).toMatchObject({ class: cls, detail: DETAILS[cls] });
    expect(byId.get(ids.ok!)).toMatchObject({ class: 'ok', detail: null });

    for (const path of [`/api/v1/admin/caches/${ids.refused}`, '/api/v1/admin/caches']) {
      const refused = await server.app.request(path);
      expect(refused.status).toBe(401);
      leaksNoDetail(await refused.text());
    }
    expect((await getJson(server, '/api/v1/admin/caches/no-such-cache', auth)).status).toBe(404);
  });
});

describe('verification details without an admin token', () => {
  it('are nowhere: the admin routes are not mounted', async () => {
    const server = await startAppServer();
    try {
      expect((await server.app.request('/api/v1/admin/caches')).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
