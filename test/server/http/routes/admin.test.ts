import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenMatches } from '../../../../server/http/routes/admin.js';
import type { TestServer } from '../../../support/server.js';
import { addCache, getJson, PLACES, startAppServer } from '../../../support/app.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

describe('admin routes with a token configured', () => {
  let server: TestServer;
  let id: string;

  beforeAll(async () => {
    server = await startAppServer({ adminToken: TOKEN });
    id = await addCache(server, { hostname: 'drain-me.test', public_ip: PLACES.cern, external_ip: undefined });
    await addCache(server, { hostname: 'other.test', public_ip: PLACES.tokyo, external_ip: undefined });
  });
  afterAll(async () => server?.stop());

  const hostnames = async () => (await getJson<{ caches: { hostname: string }[] }>(server, `/api/v1/nearest?ip=${PLACES.cern}`)).body.caches.map((c) => c.hostname);

  it.each([
    ['no Authorization header', {}],
    ['a wrong token', auth('not-the-token-at-all')],
    ['a token differing in its last character', auth(`${TOKEN.slice(0, -1)}X`)],
    ['another scheme', { headers: { Authorization: `Basic ${TOKEN}` } }],
  ])('refuses a request with %s (401)', async (_what, init) => {
    const response = await server.app.request(`/api/v1/admin/caches/${id}/drain`, { method: 'POST', ...init });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
    expect(server.drains.has(id)).toBe(false);
  });

  it('drains a cache: still listed, never offered, until undrained', async () => {
    expect(await hostnames()).toEqual(['drain-me.test', 'other.test']);
    const drained = await server.app.request(`/api/v1/admin/caches/${id}/drain`, { method: 'POST', ...auth(TOKEN) });
    expect(drained.status).toBe(200);
    expect(await drained.json()).toEqual({ id, draining: true });
    expect(await hostnames()).toEqual(['other.test']);
    expect((await getJson<{ count: number }>(server, '/api/v1/caches')).body.count).toBe(2);
    expect(await (await server.app.request('/metrics')).text()).toContain('shoal_caches{state="draining"} 1');
    expect((await getJson(server, '/api/v1/admin/drains', auth(TOKEN))).body).toEqual({ draining: [id] });

    const undrained = await server.app.request(`/api/v1/admin/caches/${id}/drain`, { method: 'DELETE', ...auth(TOKEN) });
    expect(await undrained.json()).toEqual({ id, draining: false });
    expect(await hostnames()).toEqual(['drain-me.test', 'other.test']);
  });

  it('removes a cache at once, and says 404 for one it does not know', async () => {
    const removed = await server.app.request(`/api/v1/admin/caches/${id}`, { method: 'DELETE', ...auth(TOKEN) });
    expect(removed.status).toBe(200);
    expect(server.registry.get(id)).toBeUndefined();
    expect(await hostnames()).toEqual(['other.test']);
    const again = await server.app.request(`/api/v1/admin/caches/${id}`, { method: 'DELETE', ...auth(TOKEN) });
    expect(again.status).toBe(404);
    expect(await (await server.app.request('/metrics')).text()).toContain('shoal_cache_events_total{event="removed"} 1');
  });
});

describe('admin routes without a token', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startAppServer();
  });
  afterAll(async () => server?.stop());

  it('are off: 404 whatever the request carries', async () => {
    const id = await addCache(server, { hostname: 'kept.test' });
    for (const init of [{ method: 'POST' }, { method: 'POST', ...auth('') }, { method: 'POST', ...auth('anything-at-all-here') }]) {
      expect((await server.app.request(`/api/v1/admin/caches/${id}/drain`, init)).status).toBe(404);
    }
    expect((await server.app.request(`/api/v1/admin/caches/${id}`, { method: 'DELETE' })).status).toBe(404);
    expect(server.registry.get(id)).toBeDefined();
  });

  it('refuses to start with a token too short to be safe', async () => {
    await expect(startAppServer({ adminToken: 'short' })).rejects.toThrow(/admin-token.*at least 16 characters/);
  });
});

describe('tokenMatches', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'abcd', false],
    [undefined, 'abc', false],
    ['', 'abc', false],
  ])('%s against %s: %s', (given, expected, result) => {
    expect(tokenMatches(given, expected)).toBe(result);
  });
});
