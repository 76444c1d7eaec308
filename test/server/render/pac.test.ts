import { createPacResolver } from 'pac-resolver';
import { QuickJS } from 'quickjs-wasi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pacBody } from '../../../server/render/pac.js';
import type { Port, ProxyHost } from '../../../shared/identity.js';
import { ProxyMemberError } from '../../../shared/proxy-string.js';
import type { TestServer } from '../../support/server.js';
import { addCache, PLACES, startAppServer } from '../../support/app.js';
import { host, port } from '../../support/identity.js';

const qjs = await QuickJS.create();

/** Evaluates a served PAC file with a real PAC engine (pac-resolver on QuickJS), as a browser would. */
const engine = (pac: string) => createPacResolver(qjs, pac);

const CVMFS_URL = 'http://cvmfs-stratum-one.cern.ch:8000/cvmfs/atlas.cern.ch/.cvmfspublished';
const FRONTIER_URLS = [
  'http://atlasfrontier-ai.cern.ch:8000/atlr/Frontier?type=frontier_request:1:DEFAULT&encoding=BLOBzip5',
  'http://cmsfrontier.cern.ch:8000/FrontierProd/Frontier?encoding=BLOBzip5',
];
const OTHER_URL = 'https://www.example.org/index.html';

async function pacOf(server: TestServer, path: string): Promise<{ body: string; response: Response }> {
  const response = await server.app.request(path);
  return { body: await response.text(), response };
}

describe('PAC files (/proxy.pac, /wpad.dat)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startAppServer();
    await addCache(server, { hostname: 'cvmfs.cern.test', public_ip: PLACES.cern, external_ip: undefined, upstream: 'cvmfs' });
    await addCache(server, { hostname: 'both.uvic.test', public_ip: PLACES.victoria, external_ip: undefined, upstream: 'both' });
    await addCache(server, { hostname: 'frontier.cern.test', public_ip: PLACES.cern, external_ip: undefined, upstream: 'frontier', cache_port: '3129' });
  });
  afterAll(async () => server?.stop());

  it('is served with the PAC content type and an exact Content-Length, private to the caller', async () => {
    const { body, response } = await pacOf(server, `/proxy.pac?ip=${PLACES.cern}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ns-proxy-autoconfig');
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(body));
    expect(response.headers.get('cache-control')).toBe('private, max-age=60');
  });

  it('sends CVMFS URLs to CVMFS caches, Frontier URLs to Frontier caches, nearest first, and other URLs DIRECT', async () => {
    const find = engine((await pacOf(server, `/proxy.pac?ip=${PLACES.cern}`)).body);
    expect(await find(CVMFS_URL)).toBe('PROXY cvmfs.cern.test:3128; PROXY both.uvic.test:3128; DIRECT');
    for (const url of FRONTIER_URLS) expect(await find(url)).toBe('PROXY frontier.cern.test:3129; PROXY both.uvic.test:3128; DIRECT');
    expect(await find(OTHER_URL)).toBe('DIRECT');
  });

  it('is ASCII: a caller city like Córdoba is written with \\u escapes in its comment', async () => {
    const { body } = await pacOf(server, '/proxy.pac?ip=200.16.16.1');
    expect(body).toContain('located by geoip (C\\u00f3rdoba)');
    expect(body).toMatch(/^[^\u0080-\uffff]*$/);
    expect(await engine(body)(CVMFS_URL)).toMatch(/^PROXY .*; DIRECT$/);
  });

  it('serves the same file at /wpad.dat, the original route', async () => {
    const wpad = await pacOf(server, `/wpad.dat?ip=${PLACES.cern}`);
    const pac = await pacOf(server, `/proxy.pac?ip=${PLACES.cern}`);
    expect(wpad.body).toBe(pac.body);
  });

  it('with loadbalance, spreads URLs over the caches and keeps each URL on one cache', async () => {
    const find = engine((await pacOf(server, `/proxy.pac?ip=${PLACES.cern}&loadbalance=true`)).body);
    const firsts = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const url = `http://s1.test/cvmfs/atlas.cern.ch/data/${i}`;
      const answer = await find(url);
      expect(await find(url)).toBe(answer);
      expect(answer.endsWith('; DIRECT')).toBe(true);
      const proxies = answer.split('; ').slice(0, -1);
      expect([...proxies].sort()).toEqual(['PROXY both.uvic.test:3128', 'PROXY cvmfs.cern.test:3128']);
      firsts.add(proxies[0] as string);
    }
    expect(firsts.size).toBe(2);
  });

  it('answers a bad parameter with a 400 naming it', async () => {
    const response = await server.app.request('/proxy.pac?loadbalance=maybe');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { field: 'loadbalance', message: 'loadbalance: must be one of true, false' } });
  });
});

describe('PAC files: DIRECT fallback off, and no caches', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startAppServer({ pacDirect: false });
  });
  afterAll(async () => server?.stop());

  it('answers DIRECT for everything when no cache is known', async () => {
    const find = engine((await pacOf(server, `/wpad.dat?ip=${PLACES.cern}`)).body);
    expect(await find(CVMFS_URL)).toBe('DIRECT');
    expect(await find(FRONTIER_URLS[0] as string)).toBe('DIRECT');
  });

  it('leaves DIRECT off the proxy lists when --no-pac-direct', async () => {
    await addCache(server, { hostname: 'only.test', public_ip: PLACES.cern, external_ip: undefined, upstream: 'cvmfs' });
    const find = engine((await pacOf(server, `/proxy.pac?ip=${PLACES.cern}`)).body);
    expect(await find(CVMFS_URL)).toBe('PROXY only.test:3128');
  });
});

describe('PAC files from hostile input', () => {
  const proxies = { cvmfs: [{ host: host('a.test'), port: port(3128) }], frontier: [] };

  it.each(['\u2028', '\u2029', '\r', '\n', '\u0085'])('keeps the comment a comment when it holds %j', async (separator) => {
    const body = pacBody(proxies, { direct: true, loadbalance: false, comment: `x${separator}FindProxyForURL = function () { return "PROXY rogue.example:3128"; };` });
    expect(body).toMatch(/^[\x20-\x7e\n]*$/);
    expect(await engine(body)(CVMFS_URL)).toBe('PROXY a.test:3128; DIRECT');
  });

  it('refuses to write a proxy cast past the types', () => {
    for (const bad of ["');alert(1);//", 'fe80::1%eth0', 'a;DIRECT']) {
      expect(() => pacBody({ cvmfs: [{ host: bad as ProxyHost, port: port(3128) }], frontier: [] }, { direct: true, loadbalance: false, comment: '' })).toThrow(ProxyMemberError);
    }
    expect(() => pacBody({ cvmfs: [], frontier: [{ host: host('a.test'), port: 0 as Port }] }, { direct: true, loadbalance: false, comment: '' })).toThrow(ProxyMemberError);
  });
});
