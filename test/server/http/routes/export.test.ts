import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wlcgWpadExport } from '../../../../server/render/wlcg-wpad.js';
import type { CacheEntry } from '../../../../server/model/cache.js';
import type { IpLiteral, ProxyHost } from '../../../../shared/identity.js';
import { ProxyMemberError } from '../../../../shared/proxy-string.js';
import { addCache, getJson, PLACES, startAppServer } from '../../../support/app.js';
import { originalHeartbeat, type TestServer } from '../../../support/server.js';
import { cacheEntry, parsedHeartbeat } from '../../../support/cache-entry.js';

/** Names of Object.prototype's members (and the like) that are valid DNS names once case-folded. */
const PROTOTYPE_NAMES = ['constructor', 'prototype', 'hasownproperty', 'tostring', 'valueof', 'isprototypeof', 'tolocalestring'];

function entry(fields: Record<string, unknown>): CacheEntry {
  return cacheEntry(parsedHeartbeat(originalHeartbeat({ public_ip: PLACES.victoria, ...fields })));
}

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
    for (const name of PROTOTYPE_NAMES) expect(body[name]).toEqual({ public_ip: PLACES.cern, private_ip: '10.1.2.3', city: 'Geneva', country_code: 'CH' });
  });

  it('answers in an object without a prototype', () => {
    const out = wlcgWpadExport([entry({ hostname: 'constructor' })], () => true);
    expect(Object.getPrototypeOf(out)).toBeNull();
    expect(Object.keys(out)).toEqual(['constructor']);
  });

  it('keeps the first cache of a hostname in hostname order, and only the offered ones', () => {
    const a = entry({ hostname: 'same.test', public_ip: PLACES.victoria });
    const b = entry({ hostname: 'same.test', public_ip: PLACES.tokyo });
    const c = entry({ hostname: 'other.test' });
    const out = wlcgWpadExport([a, b, c], (e) => e !== c);
    expect(out).toEqual({ 'same.test': expect.objectContaining({ public_ip: PLACES.victoria }) });
  });

  it.each([
    ['hostname', '$(touch${IFS}/tmp/x)'],
    ['hostname', 'evil|http://rogue.example:3128'],
    ['publicIp', 'fe80::1%eth0'],
    ['publicIp', '::ffff:142.104.1.1%<script>,x'],
    ['privateIp', '10.0.0.1,x'],
  ])('throws when a %s is cast past the types: %j', (field, value) => {
    const e = entry({ hostname: 'squid.uvic.test' });
    const hb = { ...e.heartbeat, [field]: value as ProxyHost & IpLiteral };
    expect(() => wlcgWpadExport([{ ...e, heartbeat: hb }], () => true)).toThrow(ProxyMemberError);
  });
});
