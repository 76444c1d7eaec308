import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/server.js';
import { addCache, getJson, PLACES, startAppServer } from '../../support/app.js';
import { noneOfferedNote } from '../../../server/lookup/unoffered.js';

interface Nearest {
  note: string | null;
  caches: { hostname: string }[];
}

/** A cache as an original agent on a host with a public address sends it, at `ip`. */
const at = (hostname: string, ip: string, fields: Record<string, unknown> = {}) => ({ hostname, public_ip: ip, external_ip: undefined, private_ip: undefined, ...fields });

describe('an answer that offers none of the caches listed says how many and why', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startAppServer();
  });
  afterEach(async () => server?.stop());

  const nearest = async (query: string) => (await getJson<Nearest>(server, `/api/v1/nearest?${query}`)).body;
  const failVerification = (id: string) => server.registry.setVerification(id, { ok: false, reason: 'refused: connection refused', checkedMs: server.clock.now() });

  it('counts the caches the server’s verification failed and the site-only ones', async () => {
    await failVerification(await addCache(server, at('a.test', PLACES.victoria)));
    await failVerification(await addCache(server, at('b.test', PLACES.cern)));
    await addCache(server, at('c.test', PLACES.cern, { site: 'cern', access: 'site' }));
    const body = await nearest(`ip=${PLACES.tokyo}`);
    expect(body.caches).toEqual([]);
    expect(body.note).toBe("3 caches listed, none offered: 2 failed the server's verification, 1 is site-only");
  });

  it('names what the query asked for that no cache has', async () => {
    await addCache(server, at('frontier.test', PLACES.cern, { upstream: 'frontier' }));
    await addCache(server, at('varnish.test', PLACES.cern, { upstream: 'cvmfs', cache_type: 'varnish' }));
    await addCache(server, at('private.test', PLACES.cern, { site: 'cern', access: 'private' }));
    const body = await nearest(`ip=${PLACES.tokyo}&upstream=cvmfs&type=squid`);
    expect(body.note).toBe('3 caches listed, none offered: 1 is private to its site, 1 does not serve cvmfs, 1 is not of type squid');
  });

  it('joins the note about an unknown caller', async () => {
    await failVerification(await addCache(server, at('a.test', PLACES.victoria)));
    const body = await nearest('ip=192.168.7.7');
    expect(body.note).toBe("caller location unknown: site-local caches first, then caches ranked by load only; 1 cache listed, none offered: 1 failed the server's verification");
  });

  it('says nothing of the kind when there is no cache at all, or one is offered', async () => {
    expect((await nearest(`ip=${PLACES.tokyo}`)).note).toBeNull();
    await failVerification(await addCache(server, at('a.test', PLACES.victoria)));
    await addCache(server, at('b.test', PLACES.cern));
    const body = await nearest(`ip=${PLACES.tokyo}`);
    expect(body.caches.map((c) => c.hostname)).toEqual(['b.test']);
    expect(body.note).toBeNull();
  });

  it('offers overloaded caches when nothing else is left, and says that instead', async () => {
    await addCache(server, at('busy.test', PLACES.cern, { max_load: 100, load: 100 }));
    await failVerification(await addCache(server, at('a.test', PLACES.victoria)));
    const body = await nearest(`ip=${PLACES.tokyo}`);
    expect(body.caches.map((c) => c.hostname)).toEqual(['busy.test']);
    expect(body.note).toMatch(/overloaded or failing; offering them anyway/);
  });
});

describe('noneOfferedNote', () => {
  it.each([
    [1, [['verification', 1]], "1 cache listed, none offered: 1 failed the server's verification"],
    [4, [['site', 2], ['leaving', 1], ['draining', 1]], '4 caches listed, none offered: 2 are site-only, 1 is being drained, 1 is leaving'],
    [2, [['not-verified', 2]], '2 caches listed, none offered: 2 are not verified (verified caches only)'],
    [2, [['private', 2], ['upstream', 0]], '2 caches listed, none offered: 2 are private to their sites'],
  ] as const)('%i listed, %j', (listed, reasons, note) => {
    expect(noneOfferedNote(listed, new Map(reasons), { upstream: 'frontier', type: 'any' })).toBe(note);
  });
});
