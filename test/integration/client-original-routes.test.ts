import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClient } from '../../client/client.js';
import { loadClientConfig } from '../../client/config.js';
import { systemClock } from '../../shared/clock.js';
import { addCache, PLACES, startAppServer } from '../support/app.js';
import type { TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp.js';

/**
 * Rolling upgrade, client first: a new client against a server that has only the original routes. Our
 * own server's original routes stand in for an original server behind a small proxy that answers 404 for
 * /api/v1 (as the original does) and tells the server who the caller is (a VM at CERN).
 */
const CALLER = PLACES.cern;
const CACHES = [
  { hostname: 'squid.uvic.test', public_ip: PLACES.victoria, cache_port: '3128', upstream: 'both' },
  { hostname: 'squid.tokyo.test', public_ip: PLACES.tokyo, cache_port: '3129', upstream: 'cvmfs' },
  { hostname: 'squid.cern.test', public_ip: PLACES.cern, cache_port: '3130', upstream: 'frontier' },
];
const ipOf = new Map(CACHES.map((c) => [c.hostname, c.public_ip]));

describe('a new client against a server with only the original routes', () => {
  let server: TestServer;
  let old: Server;
  let oldUrl: string;
  const asked: string[] = [];

  beforeAll(async () => {
    server = await startAppServer({ trustedProxies: '127.0.0.1' });
    for (const c of CACHES) await addCache(server, { ...c, external_ip: undefined });
    old = createServer((req, res) => {
      const path = req.url ?? '/';
      asked.push(path);
      if (path.startsWith('/api/v1')) return void res.writeHead(404, { 'content-type': 'text/html' }).end('not found');
      void fetch(`${server.url}${path}`, { headers: { 'x-forwarded-for': CALLER } }).then(async (r) => {
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await r.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    oldUrl = `http://127.0.0.1:${(old.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => old?.close(() => resolve()));
    await server?.stop();
  });

  /** What /api/v1/nearest ranks for the same caller, as the original client would connect (public address:port). */
  async function rankedByApi(upstream: 'cvmfs' | 'frontier'): Promise<string[]> {
    const r = await fetch(`${server.url}/api/v1/nearest?count=8&upstream=${upstream}`, { headers: { 'x-forwarded-for': CALLER } });
    const body = (await r.json()) as { caches: { hostname: string; port: number }[] };
    return body.caches.map((c) => `http://${ipOf.get(c.hostname)}:${c.port}`);
  }

  async function run(server: string, frontier: boolean) {
    const logs: Record<string, unknown>[] = [];
    const work = await makeTempDir('shoal-client-original-');
    const decision = await runClient({
      config: loadClientConfig({
        env: {},
        flags: { server, verify: false, startDelay: 0, discoveryTime: 0, apply: 'never', timeout: 3000, cvmfsConfig: join(work, 'default.local'), stateFile: join(work, 'last-good.json'), frontierServer: '(serverurl=http://frontier.example.org:8000/atlr)' },
      }),
      logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }),
      clock: systemClock,
      env: {},
      dump: !frontier,
      frontier,
    });
    return { decision, logs };
  }

  it("CVMFS: asks /nearestcvmfs/<n>/ after /api/v1's 404, with the original's cvmfs_url as --server, and gets the server's ranking", async () => {
    asked.length = 0;
    const { decision, logs } = await run(`${oldUrl}/nearestcvmfs`, false);
    expect(asked).toEqual(['/api/v1/nearest?count=8&upstream=cvmfs', '/nearestcvmfs/8/']);
    expect(decision.outcome).toBe('ok');
    expect(decision.answer?.original_route).toBe('/nearestcvmfs/8/');
    const expected = await rankedByApi('cvmfs');
    expect(expected).toHaveLength(2);
    expect(decision.proxies).toEqual(expected.slice(0, 3));
    expect(decision.value).toBe(`${expected.join(';')};DIRECT`);
    const said = logs.filter((l) => l.level === 30).map((l) => l.msg);
    expect(said).toContain(`server URL names the original route /nearestcvmfs: asking its base ${oldUrl} (/api/v1/nearest, or /nearestcvmfs/8/ if it is an original Shoal server)`);
    expect(said).toContain(`no /api/v1 there (HTTP 404), as on an original Shoal server: asking its original route ${oldUrl}/nearestcvmfs/8/`);
  });

  it('Frontier: asks /nearestconditions/<n>/ and merges those proxies into FRONTIER_SERVER', async () => {
    asked.length = 0;
    const { decision } = await run(oldUrl, true);
    expect(asked).toEqual(['/api/v1/nearest?count=8&upstream=frontier', '/nearestconditions/8/']);
    const expected = await rankedByApi('frontier');
    expect(expected).toHaveLength(2);
    expect(decision.proxies).toEqual(expected);
    for (const proxy of expected) expect(decision.value).toContain(`(proxyurl=${proxy})`);
  });
});
