import { isIP } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wlcgWpadExport, type WlcgWpadEntry, type WlcgWpadRules } from '../../../../server/render/wlcg-wpad.js';
import { createLocality } from '../../../../server/geo/sites.js';
import type { CacheEntry } from '../../../../server/model/cache.js';
import type { IpLiteral, ProxyHost } from '../../../../shared/identity.js';
import { ProxyMemberError } from '../../../../shared/proxy-string.js';
import { addCache, getJson, PLACES, startAppServer, writeCoverage } from '../../../support/app.js';
import { originalHeartbeat, type TestServer } from '../../../support/server.js';
import { cacheEntry, cacheLocation, parsedHeartbeat } from '../../../support/cache-entry.js';

/** Names of Object.prototype's members (and the like) that are valid DNS names once case-folded. */
const PROTOTYPE_NAMES = ['constructor', 'prototype', 'hasownproperty', 'tostring', 'valueof', 'isprototypeof', 'tolocalestring'];

function entry(fields: Record<string, unknown>): CacheEntry {
  return cacheEntry(parsedHeartbeat(originalHeartbeat({ public_ip: PLACES.victoria, ...fields })));
}

/** Rules with nothing drained, the original's default max load, and the site networks of `entries`. */
function rules(entries: readonly CacheEntry[], over: Partial<WlcgWpadRules> = {}): WlcgWpadRules {
  return { defaultMaxLoad: 122_000, isDrained: () => false, sites: createLocality({}).index(entries), ...over };
}
const exportOf = (entries: CacheEntry[], over: Partial<WlcgWpadRules> = {}) => wlcgWpadExport(entries, rules(entries, over));

/**
 * The proxy WLCG WPAD's reader (pyweb/wlcg_wpad.py, updateorgs) builds from an entry and its PAC writer
 * (wpad_dispatch.py, getproxystr) serves every client of the squid's organisation: `private_ip` if
 * present, else `public_ip`, then `:3128`, written `PROXY http://<that>`. Restated here from reading it.
 */
const wlcgProxy = (e: WlcgWpadEntry) => `PROXY http://${e.private_ip ?? e.public_ip}:3128`;

describe('/api/v1/export/wlcg-wpad', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startAppServer();
    for (const name of PROTOTYPE_NAMES) await addCache(server, { hostname: name, public_ip: PLACES.cern });
    await addCache(server, { hostname: 'squid.uvic.test', public_ip: PLACES.victoria });
  });
  afterAll(async () => server?.stop());

  it('lists caches named like Object.prototype members (constructor was missing)', async () => {
    const { status, body } = await getJson<Record<string, { public_ip: string }>>(server, '/api/v1/export/wlcg-wpad');
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual([...PROTOTYPE_NAMES, 'squid.uvic.test'].sort((a, b) => a.localeCompare(b)));
    // The original agent's private 10.1.2.3 is in no declared site network: not exported.
    for (const name of PROTOTYPE_NAMES) expect(body[name]).toEqual({ public_ip: PLACES.cern, city: 'Geneva', country_code: 'CH' });
  });

  it('leaves out a cache once an operator drains it, or the server’s check fails it', async () => {
    const drained = await addCache(server, { hostname: 'drained.test', public_ip: PLACES.tokyo });
    const refused = await addCache(server, { hostname: 'refused.test', public_ip: PLACES.tokyo });
    const listed = async () => Object.keys((await getJson<Record<string, unknown>>(server, '/api/v1/export/wlcg-wpad')).body);
    expect(await listed()).toEqual(expect.arrayContaining(['drained.test', 'refused.test']));
    server.drains.drain(drained);
    await server.registry.setVerification(refused, { ok: false, reason: 'refused', checkedMs: server.clock.now() });
    expect(await listed()).not.toContain('drained.test');
    expect(await listed()).not.toContain('refused.test');
  });

  it('leaves out an overloaded cache, and one whose public address is IPv6', async () => {
    await addCache(server, { hostname: 'busy.test', public_ip: PLACES.tokyo, max_load: '100', load: 500 });
    await addCache(server, { hostname: 'v6.test', public_ip: '2001:db8::1' });
    const { body } = await getJson<Record<string, unknown>>(server, '/api/v1/export/wlcg-wpad');
    expect(Object.keys(body)).not.toContain('busy.test');
    expect(Object.keys(body)).not.toContain('v6.test');
    expect(Object.keys(body)).toContain('squid.uvic.test');
  });

  it('gives a private address that the coverage file puts in the cache’s site, and none outside it', async () => {
    const coverageFile = await writeCoverage({ uvic: ['142.104.0.0/16', '10.1.0.0/16'] });
    const covered = await startAppServer({ coverageFile });
    try {
      // As the original agent sends it behind a NAT: private 10.1.2.3, external 142.104.1.1, no public address.
      await addCache(covered, { hostname: 'squid.uvic.test' });
      await addCache(covered, { hostname: 'cloud.example.test', public_ip: PLACES.tokyo, external_ip: undefined, private_ip: '172.31.5.6' });
      const { body } = await getJson<Record<string, WlcgWpadEntry>>(covered, '/api/v1/export/wlcg-wpad');
      expect(body['squid.uvic.test']).toEqual({ public_ip: PLACES.victoria, private_ip: '10.1.2.3', city: 'Victoria', country_code: 'CA' });
      expect(body['cloud.example.test']).toEqual({ public_ip: PLACES.tokyo, city: expect.any(String), country_code: 'JP' });
    } finally {
      await covered.stop();
    }
  });
});

describe('WLCG WPAD export: only what WLCG WPAD may hand every client of an organisation', () => {
  it('answers in an object without a prototype', () => {
    const out = exportOf([entry({ hostname: 'constructor' })]);
    expect(Object.getPrototypeOf(out)).toBeNull();
    expect(Object.keys(out)).toEqual(['constructor']);
  });

  it('keeps the first exported cache of a hostname in hostname order', () => {
    const a = entry({ hostname: 'same.test', public_ip: PLACES.victoria });
    const b = entry({ hostname: 'same.test', public_ip: PLACES.tokyo });
    const c = entry({ hostname: 'other.test' });
    expect(exportOf([a, b, c], { isDrained: (id) => id === c.id })).toEqual({ 'same.test': expect.objectContaining({ public_ip: PLACES.victoria }) });
    expect(exportOf([a, b], { isDrained: (id) => id === a.id })).toEqual({ 'same.test': expect.objectContaining({ public_ip: PLACES.tokyo }) });
  });

  it.each([
    ['overloaded (load at its own max load)', { max_load: '1000', load: 1000 }],
    ['overloaded (over the default max load, the agent sent -112)', { load: 122_000 }],
    ['failing its agent’s self-check', { status: 'failing', status_reason: 'squid down' }],
    ['leaving', { status: 'leaving' }],
    ['open to its site only', { access: 'site', site: 'uvic' }],
    ['private', { access: 'private', site: 'uvic' }],
    ['on a port WLCG WPAD would not use', { cache_port: '3129' }],
    ['with an IPv6 public address', { public_ip: '2001:db8::1' }],
    ['with no public or NAT address', { public_ip: undefined, external_ip: undefined }],
  ])('leaves out a cache %s', (_why, fields) => {
    const ok = entry({ hostname: 'ok.test' });
    const e = entry({ hostname: 'left-out.test', ...fields });
    expect(Object.keys(exportOf([ok, e]))).toEqual(['ok.test']);
  });

  it('leaves out a cache the server’s own check failed, and one an operator drains', () => {
    const refused = { ...entry({ hostname: 'refused.test' }), verification: { ok: false, reason: 'timeout', checkedMs: 1 } };
    const drained = entry({ hostname: 'drained.test' });
    const checked = { ...entry({ hostname: 'checked.test' }), verification: { ok: true, checkedMs: 1 } };
    expect(Object.keys(exportOf([refused, drained, checked], { isDrained: (id) => id === drained.id }))).toEqual(['checked.test']);
  });

  it('takes the NAT address of a cache with no public one, as the original; never an IPv6 one', () => {
    expect(exportOf([entry({ hostname: 'nat.test', public_ip: undefined, external_ip: PLACES.cern })])['nat.test']?.public_ip).toBe(PLACES.cern);
    expect(exportOf([entry({ hostname: 'mapped.test', public_ip: `::ffff:${PLACES.cern}` })])['mapped.test']?.public_ip).toBe(PLACES.cern);
    expect(exportOf([entry({ hostname: 'v6nat.test', public_ip: undefined, external_ip: '2001:db8::7' })])).toEqual({});
  });

  it.each([
    ['declared by its agent’s networks', { site: 'uvic', networks: ['10.1.0.0/16'] }, '10.1.2.3'],
    ['declared, its hostname the site', { networks: ['10.1.2.0/24'] }, '10.1.2.3'],
    ['a cloud squid’s, no site declared', { private_ip: '172.31.5.6' }, undefined],
    ['outside the networks its site declares', { site: 'uvic', networks: ['10.9.0.0/16'] }, undefined],
    ['IPv6, inside its site', { site: 'uvic', networks: ['fd00::/8'], private_ip: 'fd00::5' }, undefined],
  ])('a private address %s: private_ip %s', (_why, fields, expected) => {
    const e = entry({ hostname: 'squid.test', ...fields });
    expect(exportOf([e])['squid.test']?.private_ip).toBe(expected);
  });

  it('does not take another site’s network for the cache’s own', () => {
    const cloud = entry({ hostname: 'cloud.test', private_ip: '172.31.5.6' });
    const tenant = entry({ hostname: 'tenant.test', public_ip: PLACES.tokyo, site: 'tenant', networks: ['172.31.0.0/16'], private_ip: '172.31.9.9' });
    const out = exportOf([cloud, tenant]);
    expect(out['cloud.test']?.private_ip).toBeUndefined();
    expect(out['tenant.test']?.private_ip).toBe('172.31.9.9');
  });

  it('gives WLCG WPAD only proxies it writes well: an IPv4 address and port 3128', () => {
    const entries = [
      entry({ hostname: 'a.test', site: 'a', networks: ['10.1.0.0/16'] }),
      entry({ hostname: 'b.test', public_ip: '2001:db8::1' }),
      entry({ hostname: 'c.test', public_ip: PLACES.cern, private_ip: 'fd00::1', site: 'c', networks: ['fd00::/8'] }),
      entry({ hostname: 'd.test', public_ip: PLACES.tokyo, private_ip: '172.31.5.6' }),
    ];
    const proxies = Object.values(exportOf(entries)).map(wlcgProxy);
    expect(proxies).toEqual(['PROXY http://10.1.2.3:3128', `PROXY http://${PLACES.cern}:3128`, `PROXY http://${PLACES.tokyo}:3128`]);
    for (const p of proxies) expect(isIP(/^PROXY http:\/\/(.+):3128$/.exec(p)?.[1] ?? '')).toBe(4);
  });

  it('drops from the city and country what would end the `//` comment WLCG WPAD writes them into', () => {
    const e = { ...entry({ hostname: 'x.test' }), location: cacheLocation({ city: 'Vic\ntoria\u2028}', countryCode: 'C\rA' }) };
    expect(exportOf([e])['x.test']).toMatchObject({ city: 'Victoria}', country_code: 'CA' });
  });

  it.each([
    ['hostname', '$(touch${IFS}/tmp/x)'],
    ['hostname', 'evil|http://rogue.example:3128'],
    ['publicIp', '142.104.1.1%eth0'],
    ['publicIp', '10.0.0.1,x'],
    ['privateIp', '10.1.2.3,x'],
  ])('throws when a %s is cast past the types: %j', (field, value) => {
    const e = entry({ hostname: 'squid.uvic.test', site: 'uvic', networks: ['10.1.0.0/16'] });
    const hb = { ...e.heartbeat, [field]: value as ProxyHost & IpLiteral };
    const cast = { ...e, heartbeat: hb };
    // The site's networks as built from the well-typed entry: a cast private address must still be refused.
    expect(() => wlcgWpadExport([cast], rules([e], { sites: { siteOfCache: () => 'uvic', sitesOf: () => ['uvic'] } }))).toThrow(ProxyMemberError);
  });
});
