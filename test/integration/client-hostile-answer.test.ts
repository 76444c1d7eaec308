import { execFile } from 'node:child_process';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runClient, type Decision } from '../../client/client.js';
import { loadClientConfig } from '../../client/config.js';
import { printable } from '../../client/proxy-member.js';
import { systemClock } from '../../shared/clock.js';

/**
 * A server answer with one hostile cache (ranked best) and two good ones, consumed by the real client
 * with verification off (--no-verify: nothing stands between the answer and the file). The written
 * default.local is then sourced by bash, as CVMFS's scripts do as root: nothing may run, and the two good
 * caches must be in the value.
 */

const GOOD = ['http://squid-a.example.org:3128', 'http://[2001:db8::1]:3128'];
const FRONTIER_BASE = '(serverurl=http://frontier.example.org:8000/atlr)';

/** Hostile proxies as a hostile server (or one fed hostile heartbeats) would list them; MARKER is a path. */
const HOSTILE: [string, { hostname: string; port: unknown; proxy: string }][] = [
  ['command substitution', { hostname: '$(touch${IFS}MARKER)', port: 3128, proxy: 'http://$(touch${IFS}MARKER):3128' }],
  ['backticks', { hostname: '`touch${IFS}MARKER`', port: 3128, proxy: 'http://`touch${IFS}MARKER`:3128' }],
  ['closing the quotes', { hostname: 'x";touch${IFS}MARKER;"', port: 3128, proxy: 'http://x";touch${IFS}MARKER;":3128' }],
  ['a new line', { hostname: 'evil.example', port: 3128, proxy: 'http://evil.example:3128"\ntouch MARKER\n"' }],
  ['a fail-over group', { hostname: 'a;DIRECT', port: 3128, proxy: 'http://a;DIRECT:3128' }],
  ['a load-balanced member', { hostname: 'evil|http://rogue.example:3128', port: 3128, proxy: 'http://evil|http://rogue.example:3128:3128' }],
  ['an extra Frontier proxy', { hostname: 'x)(proxyurl=http://rogue.example:3128', port: 3128, proxy: 'http://x)(proxyurl=http://rogue.example:3128:3128' }],
  ['an extra Frontier server', { hostname: 'x)(serverurl=rogue.example/Frontier', port: 3128, proxy: 'http://x)(serverurl=rogue.example/Frontier' }],
  ['userinfo', { hostname: 'rogue@evil.example', port: 3128, proxy: 'http://rogue@evil.example:3128' }],
  ['a path', { hostname: 'evil.example/x', port: 3128, proxy: 'http://evil.example/x:3128' }],
  ['NUL and ESC bytes', { hostname: 'evil\u0000\u001b[2J.example', port: 3128, proxy: 'http://evil\u0000\u001b[2J.example:3128' }],
  ['an IPv6 zone id', { hostname: 'squid-z.example.org', port: 3128, proxy: 'http://[fe80::1%eth0]:3128' }],
  ['the keyring-suffix trick', { hostname: '[x]@127.0.0.1:19050/.uvic.ca', port: 3128, proxy: 'http://[x]@127.0.0.1:19050/.uvic.ca:3128' }],
  ['a hex port', { hostname: 'squid-c.example.org', port: '0x50', proxy: 'http://squid-c.example.org:0x50' }],
  ['an exponent port', { hostname: 'squid-c.example.org', port: '1e3', proxy: 'http://squid-c.example.org:1e3' }],
  ['port 0', { hostname: 'squid-c.example.org', port: 0, proxy: 'http://squid-c.example.org:0' }],
  ['port 65536', { hostname: 'squid-c.example.org', port: 65536, proxy: 'http://squid-c.example.org:65536' }],
];

function entry(c: { hostname: string; port: unknown; proxy: string }, i: number) {
  return { id: `cache-${i}`, hostname: c.hostname, port: c.port, proxy: c.proxy, address: c.hostname, cache_type: 'squid', upstream: 'both', load: 10 * i, max_load: 122000, verified: true, status: 'ok', distance_km: null, score: 0.1 * i, local: false };
}

/** The `/api/v1/nearest` shape: caller, note, caches in rank order. */
function answer(caches: { hostname: string; port: unknown; proxy: string }[]) {
  return {
    caller: { ip: '127.0.0.1', located_by: 'unknown', latitude: null, longitude: null, city: null, country_code: null, site: null },
    note: 'caller not located: ranked by load',
    caches: caches.map(entry),
  };
}

const good = GOOD.map((proxy) => {
  const u = new URL(proxy);
  return { hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port), proxy };
});

interface AnswerServer {
  url: string;
  body: unknown;
  requests: string[];
  close(): Promise<void>;
}

/** A tiny loopback HTTP server answering every request with `body` as JSON. */
async function startAnswerServer(): Promise<AnswerServer> {
  const state: AnswerServer = { url: '', body: null, requests: [], close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    state.requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

/**
 * What `bash -c 'set -e; source FILE; printf %s "$CVMFS_HTTP_PROXY"'` prints, run in `cwd`. No rc files:
 * bash reads ~/.bashrc when its stdin is a socket (as Node's pipes are), which is not how CVMFS runs it.
 */
function sourceInBash(file: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd };
  return new Promise((resolve) => {
    execFile('bash', ['--norc', '--noprofile', '-c', 'set -e; source "$1"; printf %s "$CVMFS_HTTP_PROXY"', 'bash', file], { cwd, env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const exists = (path: string) => access(path).then(
  () => true,
  () => false,
);

describe('shoal-client --no-verify against a hostile server answer', () => {
  let dir: string;
  let servers: AnswerServer[] = [];
  let n = 0;
  let work: string;
  let marker: string;
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });

  const withMarker = (c: { hostname: string; port: unknown; proxy: string }) => ({ ...c, hostname: c.hostname.replaceAll('MARKER', marker), proxy: c.proxy.replaceAll('MARKER', marker) });
  const run = (server: string | string[], flags: Record<string, unknown> = {}, frontier = false): Promise<Decision> =>
    runClient({
      config: loadClientConfig({
        env: {},
        flags: { server: ([] as string[]).concat(server).join(','), verify: false, count: 3, startDelay: 0, discoveryTime: 0, apply: 'never', timeout: 2000, logLevel: 'silent', cvmfsConfig: join(work, 'default.local'), stateFile: join(work, 'last-good.json'), ...flags },
      }),
      logger,
      clock: systemClock,
      env: {},
      frontier,
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-hostile-answer-'));
    servers = await Promise.all([startAnswerServer(), startAnswerServer()]);
  });
  beforeEach(async () => {
    // A folder of its own per test: the written file, the state file, the marker a command would create.
    work = await mkdtemp(join(dir, `run-${++n}-`));
    marker = join(work, 'marker');
    logs.length = 0;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sees a side effect when there is one (the probe works)', async () => {
    const file = join(work, 'default.local');
    await writeFile(file, `CVMFS_HTTP_PROXY=http://$(touch\${IFS}${marker}):3128\n`);
    const sourced = await sourceInBash(file, work);
    expect(sourced.code).toBe(0);
    expect(await exists(marker)).toBe(true);
  });

  it.each(HOSTILE)('drops the cache with %s, keeps the two good ones, and bash runs nothing', async (_name, hostile) => {
    const server = servers[0] as AnswerServer;
    const bad = withMarker(hostile);
    server.body = answer([bad, ...good]);
    const d = await run(server.url);
    expect(d.outcome).toBe('ok');
    expect(d.proxies).toEqual(GOOD);
    expect(d.rejected).toEqual([{ source: 'server', member: printable(bad.proxy), reason: expect.any(String) }]);
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, source: 'server', proxy: printable(bad.proxy) }));

    const file = join(work, 'default.local');
    const text = await readFile(file, 'utf8');
    expect(text).toBe(`CVMFS_HTTP_PROXY="${GOOD.join(';')};DIRECT"\n`);
    expect(text).toMatch(/^[\x20-\x7e]*\n$/); // no control character, one line

    const sourced = await sourceInBash(file, work);
    expect(sourced).toEqual({ code: 0, stdout: `${GOOD.join(';')};DIRECT`, stderr: '' });
    expect(await exists(marker)).toBe(false);
    expect((await readdir(work)).sort()).toEqual(['default.local', 'last-good.json']);
    expect(JSON.parse(await readFile(join(work, 'last-good.json'), 'utf8'))).toMatchObject({ proxies: GOOD });
  });

  it.each(HOSTILE)('--frontier: drops the cache with %s and merges only the good (proxyurl=...) members', async (_name, hostile) => {
    const server = servers[0] as AnswerServer;
    server.body = answer([withMarker(hostile), ...good]);
    const d = await run(server.url, { frontierServer: FRONTIER_BASE }, true);
    expect(d.outcome).toBe('ok');
    expect(d.value).toBe(`${FRONTIER_BASE}${GOOD.map((p) => `(proxyurl=${p})`).join('')}`);
    const items = [...(d.value ?? '').matchAll(/\(([a-z]+)=([^()]*)\)/g)].map((m) => [m[1], m[2]]);
    expect(items.map((i) => i.join('=')).join('')).toBe((d.value ?? '').replace(/[()]/g, '')); // nothing between the items
    expect(items.filter(([key]) => key === 'proxyurl').map(([, url]) => url)).toEqual(GOOD);
    expect(items.filter(([key]) => key === 'serverurl')).toHaveLength(1);
    expect(server.requests.at(-1)).toContain('upstream=frontier');
    expect(await readdir(work)).toEqual([]); // --frontier writes nothing
  });

  it('passes over a server whose every cache is refused and takes the next one', async () => {
    const [first, second] = servers as [AnswerServer, AnswerServer];
    first.body = answer(HOSTILE.slice(0, 3).map(([, c]) => withMarker(c)));
    second.body = answer(good);
    const d = await run([first.url, second.url]);
    expect(d).toMatchObject({ outcome: 'ok', server: second.url, proxies: GOOD });
    expect(d.attempts).toEqual([{ server: first.url, error: 'every cache in the answer was refused (3)', refused: 3 }]);
    expect(d.rejected).toHaveLength(3);
    expect((await sourceInBash(join(work, 'default.local'), work)).stdout).toBe(`${GOOD.join(';')};DIRECT`);
    expect(await exists(marker)).toBe(false);
  });

  it('falls back to the valid proxies of a tampered last-good file when nothing valid is left in the answer', async () => {
    const server = servers[0] as AnswerServer;
    server.body = answer(HOSTILE.map(([, c]) => withMarker(c)));
    const tampered = [`http://$(touch\${IFS}${marker}):3128`, GOOD[1], 'http://rogue@evil.example:3128', 'http://evil\u001b:3128'];
    await writeFile(join(work, 'last-good.json'), JSON.stringify({ version: 1, savedAt: new Date().toISOString(), server: null, proxies: tampered }));
    const d = await run(server.url);
    expect(d).toMatchObject({ outcome: 'fallback', reason: 'no server listed a valid proxy', fallback: { source: 'last-good' }, proxies: [GOOD[1]] });
    expect(d.rejected.filter((r) => r.source === 'last-good').map((r) => r.member)).toEqual([printable(tampered[0]), 'http://rogue@evil.example:3128', 'http://evil\\u001b:3128']);
    const sourced = await sourceInBash(join(work, 'default.local'), work);
    expect(sourced).toEqual({ code: 0, stdout: `${GOOD[1]};DIRECT`, stderr: '' });
    expect(await exists(marker)).toBe(false);
  });

  it('falls back to the site proxy the file already holds when no valid proxy remains anywhere', async () => {
    const server = servers[0] as AnswerServer;
    server.body = answer(HOSTILE.map(([, c]) => withMarker(c)));
    const file = join(work, 'default.local');
    await writeFile(file, 'CVMFS_HTTP_PROXY="http://site:3128;DIRECT"\n');
    const d = await run(server.url);
    // The file's own CVMFS_HTTP_PROXY is the site default (as the original client did): nothing hostile is kept.
    expect(d).toMatchObject({ outcome: 'fallback', reason: 'no server listed a valid proxy', value: 'http://site:3128;DIRECT' });
    expect(d.rejected).toHaveLength(HOSTILE.length);
    expect(await readFile(file, 'utf8')).toBe('CVMFS_HTTP_PROXY="http://site:3128;DIRECT"\n');
    expect(await exists(marker)).toBe(false);
  });
});
