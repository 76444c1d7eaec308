import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/server.js';
import { addCache, getJson, PLACES, startAppServer } from '../../support/app.js';

interface Nearest {
  caller: { located_by: string; site: string | null };
  caches: { hostname: string; local: boolean; address: string; proxy: string }[];
}

// A cloud tenant's squids behind the cloud's NAT: their agents send external_ip (the NAT's address, here
// Victoria's) and private_ip, as the original agent does on a host with no public address. A VM of the same
// tenant reaches the world from that same NAT address.
const NAT = PLACES.victoria;

describe('callers behind the same NAT as a cache', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startAppServer({ trustedProxies: '127.0.0.1' });
    // Busy, so that by cost alone the idle cache at the same place would win.
    await addCache(server, { hostname: 'busy.cloud.test', external_ip: NAT, private_ip: '172.31.4.5', max_load: 100_000, load: 60_000 });
    await addCache(server, { hostname: 'site-only.cloud.test', external_ip: NAT, private_ip: '172.31.4.6', access: 'site', load: 1000 });
    await addCache(server, { hostname: 'idle.uvic.test', public_ip: NAT, external_ip: undefined, private_ip: undefined, load: 0 });
    // Behind a NAT of its own, with no private address to give.
    await addCache(server, { hostname: 'bare.tokyo.test', external_ip: PLACES.tokyo, private_ip: undefined, load: 0 });
  });
  afterAll(async () => server?.stop());

  const nearest = async (query: string) => (await getJson<Nearest>(server, `/api/v1/nearest?count=10&${query}`)).body;

  it('gives a caller at the NAT address the caches behind it first, marked local, at their private addresses', async () => {
    const body = await nearest(`ip=${NAT}`);
    expect(body.caller).toMatchObject({ located_by: 'site', site: 'busy.cloud.test' });
    expect(body.caches.map((c) => [c.hostname, c.local, c.address])).toEqual([
      ['site-only.cloud.test', true, '172.31.4.6'],
      ['busy.cloud.test', true, '172.31.4.5'],
      ['idle.uvic.test', false, 'idle.uvic.test'],
      ['bare.tokyo.test', false, 'bare.tokyo.test'],
    ]);
    expect(body.caches[0]?.proxy).toBe('http://172.31.4.6:3128');
  });

  it('gives a NAT-local cache with no private address by its hostname', async () => {
    const body = await nearest(`ip=${PLACES.tokyo}`);
    expect(body.caches[0]).toMatchObject({ hostname: 'bare.tokyo.test', local: true, address: 'bare.tokyo.test' });
  });

  it('treats any other caller as outside: no site-only cache, hostnames, ranked by cost', async () => {
    const body = await nearest(`ip=${PLACES.cern}`);
    expect(body.caches.every((c) => !c.local && c.address === c.hostname)).toBe(true);
    expect(body.caches.map((c) => c.hostname)).not.toContain('site-only.cloud.test');
    expect(body.caches.map((c) => c.hostname).indexOf('idle.uvic.test')).toBeLessThan(body.caches.map((c) => c.hostname).indexOf('busy.cloud.test'));
  });

  it('marks them "local": true on the original routes, for the caller’s own address', async () => {
    const text = await (await fetch(`${server.url}/nearest/5/`, { headers: { 'X-Forwarded-For': NAT } })).text();
    const entries = text.split(/, "\d+": /);
    expect(entries[0]).toMatch(/^\{"0": \{"hostname": "site-only\.cloud\.test", /);
    expect(entries[0]).toContain('"private_ip": "172.31.4.6"');
    expect(entries[0]).toContain('"local": true');
    expect(entries[1]).toMatch(/^\{"hostname": "busy\.cloud\.test", /);
    expect(entries[1]).toContain('"local": true');
    expect(entries[2]).toMatch(/^\{"hostname": "idle\.uvic\.test", /);
    expect(entries[2]).not.toContain('"local": true');
  });

  it('puts their private addresses first in the PAC file', async () => {
    const pac = await (await fetch(`${server.url}/wpad.dat`, { headers: { 'X-Forwarded-For': NAT } })).text();
    const proxies = [...pac.matchAll(/"PROXY ([^"]+)"/g)].map((m) => m[1]);
    expect(proxies.slice(0, 3)).toEqual(['172.31.4.6:3128', '172.31.4.5:3128', 'idle.uvic.test:3128']);
  });
});
