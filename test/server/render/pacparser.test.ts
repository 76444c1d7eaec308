import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPacResolver } from 'pac-resolver';
import { QuickJS } from 'quickjs-wasi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCache, PLACES, startAppServer } from '../../support/app.js';
import type { TestServer } from '../../support/server.js';
import { serviceAvailable } from '../../support/services.js';

/**
 * The served PAC file as CVMFS itself reads it (CVMFS_HTTP_PROXY="auto;DIRECT", CVMFS_PAC_URLS=.../wpad.dat,
 * see docs/without-client.md): evaluated by pacparser, the PAC engine CVMFS links, through its Python
 * binding (Debian's python3-pacparser, for Debian's python3), and compared with the npm engine pac.test.ts uses.
 */

const run = promisify(execFile);
const PYTHON = process.env.SHOAL_TEST_PYTHON ?? '/usr/bin/python3';
const pacparser = await serviceAvailable(
  'pacparser (python3-pacparser)',
  async () => void (await run(PYTHON, ['-W', 'ignore', '-c', 'import pacparser'])),
  `apt-get install -y python3-pacparser (the tests run it with ${PYTHON}; SHOAL_TEST_PYTHON names another)`,
);

/** Calls FindProxyForURL(url, host) for each URL, as CVMFS does (wpad.cc: the URL and its host name). */
const FIND = `
import json, sys
import pacparser
pacparser.init()
pacparser.parse_pac_file(sys.argv[1])
print(json.dumps([pacparser.find_proxy(url, url.split('/')[2].split(':')[0]) for url in json.loads(sys.argv[2])]))
pacparser.cleanup()
`;

/** What CVMFS makes of a PAC answer (wpad.cc, PacProxy2Cvmfs): `PROXY ` dropped, `;` between fail-over groups. */
const cvmfsProxies = (answer: string) =>
  answer
    .split(';')
    .map((part) => part.replace(/[ \t]/g, ''))
    .filter((part) => part === 'DIRECT' || /^PROXY/i.test(part))
    .map((part) => part.replace(/^PROXY/i, ''))
    .join(';');

// What CVMFS asks for: a Stratum 1 from CVMFS_SERVER_URL plus /.cvmfspublished.
const CVMFS_URL = 'http://cvmfs-stratum-one.cern.ch:8000/cvmfs/atlas.cern.ch/.cvmfspublished';
const FRONTIER_URL = 'http://atlasfrontier-ai.cern.ch:8000/atlr/Frontier?type=frontier_request:1:DEFAULT&encoding=BLOBzip5';
const OTHER_URL = 'http://www.example.org/index.html';

const qjs = await QuickJS.create();

describe.runIf(pacparser)('the served PAC file, evaluated by pacparser as CVMFS does', () => {
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-pacparser-'));
    server = await startAppServer();
    await addCache(server, { hostname: 'cvmfs.cern.test', public_ip: PLACES.cern, external_ip: undefined, upstream: 'cvmfs' });
    await addCache(server, { hostname: 'both.uvic.test', public_ip: PLACES.victoria, external_ip: undefined, upstream: 'both' });
    await addCache(server, { hostname: 'frontier.cern.test', public_ip: PLACES.cern, external_ip: undefined, upstream: 'frontier', cache_port: '3129' });
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The PAC file a caller gets, and both engines' answers for the URLs. */
  async function answers(query: string, urls: string[]): Promise<{ pacparser: string[]; npm: string[] }> {
    const response = await server.app.request(`/wpad.dat?${query}`);
    expect(response.status).toBe(200);
    const pac = await response.text();
    const file = join(dir, `wpad-${query.replace(/\W+/g, '-')}.dat`);
    await writeFile(file, pac);
    const { stdout } = await run(PYTHON, ['-W', 'ignore', '-c', FIND, file, JSON.stringify(urls)]);
    const find = createPacResolver(qjs, pac);
    return { pacparser: JSON.parse(stdout) as string[], npm: await Promise.all(urls.map((url) => find(url))) };
  }

  it.each([
    [
      'CERN',
      PLACES.cern,
      'PROXY cvmfs.cern.test:3128; PROXY both.uvic.test:3128; DIRECT',
      'PROXY frontier.cern.test:3129; PROXY both.uvic.test:3128; DIRECT',
    ],
    [
      'Victoria',
      PLACES.victoria,
      'PROXY both.uvic.test:3128; PROXY cvmfs.cern.test:3128; DIRECT',
      'PROXY both.uvic.test:3128; PROXY frontier.cern.test:3129; DIRECT',
    ],
  ])('gives a caller at %s its CVMFS and Frontier caches nearest first, DIRECT last, other URLs DIRECT', async (_place, ip, cvmfs, frontier) => {
    const got = await answers(`ip=${ip}`, [CVMFS_URL, FRONTIER_URL, OTHER_URL]);
    expect(got.pacparser).toEqual([cvmfs, frontier, 'DIRECT']);
    expect(got.npm).toEqual(got.pacparser);
  });

  it('turns into the proxy chain CVMFS then uses: the caches in fail-over order, then DIRECT', async () => {
    const [answer] = (await answers(`ip=${PLACES.cern}`, [CVMFS_URL])).pacparser;
    expect(cvmfsProxies(answer as string)).toBe('cvmfs.cern.test:3128;both.uvic.test:3128;DIRECT');
  });

  it('with loadbalance=true, gives each URL one stable order over the same caches, as the npm engine does', async () => {
    const urls = Array.from({ length: 20 }, (_, i) => `http://s${i}.stratum-one.test:8000/cvmfs/atlas.cern.ch/.cvmfspublished`);
    const got = await answers(`ip=${PLACES.cern}&loadbalance=true`, [...urls, OTHER_URL]);
    expect(got.npm).toEqual(got.pacparser);
    expect(got.pacparser.at(-1)).toBe('DIRECT');
    const firsts = new Set<string>();
    for (const answer of got.pacparser.slice(0, -1)) {
      expect(answer.endsWith('; DIRECT')).toBe(true);
      const proxies = answer.split('; ').slice(0, -1);
      expect([...proxies].sort()).toEqual(['PROXY both.uvic.test:3128', 'PROXY cvmfs.cern.test:3128']);
      firsts.add(proxies[0] as string);
    }
    expect(firsts.size).toBe(2);
    // The same file asked again gives every URL the same answer.
    expect((await answers(`ip=${PLACES.cern}&loadbalance=true`, urls)).pacparser).toEqual(got.pacparser.slice(0, -1));
  });
});
