import { createSocket } from 'node:dgram';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnnouncer } from '../../agent/announce.js';
import { runClient, type Decision } from '../../client/client.js';
import { loadClientConfig } from '../../client/config.js';
import { systemClock } from '../../shared/clock.js';
import { createSilentLogger } from '../../shared/logger.js';
import { BIN, runProgram } from '../support/processes.js';
import { originalHeartbeat, startTestServer, type TestServer } from '../support/server.js';
import { freePort, squidAvailable, startOrigin, startSquid, type Origin, type SquidInstance } from '../support/squid.js';
import { ip as ipLiteral, port as tcpPort } from '../support/identity.js';
import { makeTempDir } from '../support/temp.js';

const squid = await squidAvailable();
const logger = createSilentLogger();

const SITE_FILE = '# site settings: keep\nCVMFS_REPOSITORIES=atlas.cern.ch\n\nCVMFS_HTTP_PROXY=DIRECT\n# trailing comment\nCVMFS_QUOTA_LIMIT=20000\n';

describe.runIf(squid)('shoal-client against the real server and real Squids on loopback', () => {
  let origin: Origin;
  let squids: SquidInstance[] = [];
  let server: TestServer;
  let dir: string;
  let deadProxy: string;
  let testUrl: string;
  let n = 0;
  const fresh = (name: string) => join(dir, `${name}-${++n}`);

  const config = (flags: Record<string, unknown>) =>
    loadClientConfig({
      env: {},
      flags: { server: server.url, testUrl, startDelay: 0, discoveryTime: 0, apply: 'never', verifyTimeout: 5000, logLevel: 'silent', ...flags },
    });
  const run = (flags: Record<string, unknown>): Promise<Decision> => runClient({ config: config(flags), logger, clock: systemClock, env: {} });
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runProgram(BIN.client, ['--start-delay', '0', '--discovery-time', '0', '--test-url', testUrl, ...args], env);

  beforeAll(async () => {
    dir = await makeTempDir('shoal-client-');
    origin = await startOrigin();
    testUrl = `${origin.url}/cvmfs/atlas.cern.ch/.cvmfspublished`;
    squids = await Promise.all([startSquid(), startSquid(), startSquid()]);
    deadProxy = `http://127.0.0.1:${await freePort()}`; // advertised, but nothing listens there
    server = await startTestServer({ amqp: false });
    // Real heartbeats through the server's own ingest. The caller (loopback) has no location, so the
    // server ranks by load: the dead one first, then the three Squids in order.
    const caches: [string, number][] = [[deadProxy, 0], ...squids.map((s, i): [string, number] => [s.url, 10_000 * (i + 1)])];
    for (const [url, load] of caches) {
      const result = await server.ingest.handle(
        JSON.stringify(originalHeartbeat({ hostname: '127.0.0.1', cache_port: new URL(url).port, load, max_load: 100_000 })),
      );
      expect(result.ok).toBe(true);
    }
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all(squids.map((s) => s.stop()));
    await origin?.close();
  });

  it('puts the best verified proxy first and drops one that does not answer', async () => {
    const file = fresh('default.local');
    const stateFile = fresh('state.json');
    const d = await run({ count: 3, cvmfsConfig: file, stateFile });
    expect(d.outcome).toBe('ok');
    expect(d.answer?.caches[0]?.proxy).toBe(deadProxy); // the server ranked it best...
    expect(d.checked.find((c) => c.url === deadProxy)).toMatchObject({ ok: false });
    expect(d.proxies).toEqual(squids.map((s) => s.url)); // ...but it is not used
    expect(d.value).toBe(`${squids.map((s) => s.url).join(';')};DIRECT`);
    expect(await readFile(file, 'utf8')).toBe(`CVMFS_HTTP_PROXY="${d.value}"\n`);
    expect(origin.requests).toContain('/cvmfs/atlas.cern.ch/.cvmfspublished'); // the test fetch went through Squid
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({ version: 1, server: server.url, proxies: d.proxies });
  });

  it('builds load-balanced groups and appends site defaults once', async () => {
    const d = await run({ count: 3, balance: 2, direct: 'never', defaultProxy: `${squids[1]?.url}|http://site:3128;DIRECT`, cvmfsConfig: fresh('f'), stateFile: fresh('s') });
    expect(d.value).toBe(`${squids[0]?.url}|${squids[1]?.url};${squids[2]?.url};http://site:3128`);
  });

  it('puts a cache our agent announces on the LAN first', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createSocket('udp4');
      s.bind(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const lanSquid = squids[2] as SquidInstance;
    const announcer = createAnnouncer({
      options: { port, address: '127.0.0.1', intervalMs: 0, form: 'short', bindAddress: '127.0.0.1' },
      current: () => ({ ip: ipLiteral('127.0.0.1'), port: tcpPort(lanSquid.port), type: 'squid', upstream: 'both' }),
      logger,
    });
    await announcer.start();
    try {
      const d = await run({ count: 2, discoveryTime: 10_000, discoveryPort: port, discoveryAddress: '127.0.0.1', cvmfsConfig: fresh('f'), stateFile: fresh('s') });
      expect(d.lan).toHaveLength(1);
      expect(d.proxies).toEqual([lanSquid.url, squids[0]?.url]);
    } finally {
      await announcer.stop();
    }
  });

  it('drops a proxy whose Squid is stopped; the next one takes its place', async () => {
    const before = await run({ count: 2, cvmfsConfig: fresh('f'), stateFile: fresh('s') });
    expect(before.proxies).toEqual([squids[0]?.url, squids[1]?.url]);
    await squids[0]?.stop();
    const after = await run({ count: 2, cvmfsConfig: fresh('f'), stateFile: fresh('s') });
    expect(after.outcome).toBe('ok');
    expect(after.checked.find((c) => c.url === squids[0]?.url)).toMatchObject({ ok: false });
    expect(after.proxies).toEqual([squids[1]?.url, squids[2]?.url]);
  });

  it('checks the last good list again when falling back, keeping the proxies that still work (or all, if none does)', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const stateFile = fresh('state.json');
    const save = (proxies: string[]) => writeFile(stateFile, JSON.stringify({ version: 1, savedAt: new Date().toISOString(), server: null, proxies }));
    await save([deadProxy, squids[1]?.url as string]);
    const some = await run({ server: down, timeout: 1000, cvmfsConfig: fresh('f'), stateFile });
    expect(some).toMatchObject({ outcome: 'fallback', reason: 'no server answered', proxies: [squids[1]?.url] });
    await save([deadProxy]);
    const none = await run({ server: down, timeout: 1000, cvmfsConfig: fresh('f'), stateFile });
    expect(none).toMatchObject({ outcome: 'fallback', proxies: [deadProxy], value: `${deadProxy};DIRECT` });
  });

  describe('the command', () => {
    const good = () => `${squids[1]?.url};${squids[2]?.url};DIRECT`;

    it('keeps the last good list when every server is down, and says so in its exit code', async () => {
      const file = fresh('default.local');
      const state = fresh('state.json');
      await writeFile(file, SITE_FILE);
      const first = await cli(['--server', server.url, '--count', '2', '--cvmfs-config', file, '--state-file', state]);
      expect(first.code, first.stderr).toBe(0);
      const written = await readFile(file, 'utf8');
      expect(written).toBe(SITE_FILE.replace('CVMFS_HTTP_PROXY=DIRECT', `CVMFS_HTTP_PROXY="${good()}"`));

      const down = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`].join(',');
      const second = await cli(['--server', down, '--timeout', '1000', '--cvmfs-config', file, '--state-file', state, '--json']);
      expect(second.code, second.stderr).toBe(3);
      expect(second.stderr).toContain('no server answered');
      const decision = JSON.parse(second.stdout) as Decision;
      expect(decision).toMatchObject({ outcome: 'fallback', fallback: { source: 'last-good' }, value: good(), changed: false });
      expect(decision.attempts).toHaveLength(2);
      expect(await readFile(file, 'utf8')).toBe(written);
    });

    it('falls back to the last good list when the server answers but no proxy verifies', async () => {
      const file = fresh('default.local');
      const state = fresh('state.json');
      expect((await cli(['--server', server.url, '--count', '2', '--cvmfs-config', file, '--state-file', state])).code).toBe(0);
      const broken = await runProgram(BIN.client, ['--start-delay', '0', '--discovery-time', '0', '--test-url', `${origin.url}/not/here`, '--server', server.url, '--cvmfs-config', file, '--state-file', state, '--dump']);
      expect(broken.code, broken.stderr).toBe(3);
      expect(broken.stderr).toContain('no proxy passed its test fetch');
      expect(broken.stdout.trim()).toBe(good());
    });

    it('uses the site defaults when there is no last good list, and fails without touching the file when there are none', async () => {
      const file = fresh('default.local');
      await writeFile(file, SITE_FILE);
      const down = `http://127.0.0.1:${await freePort()}`;
      const withDefaults = await cli(['--server', down, '--cvmfs-config', file, '--state-file', fresh('none'), '--default-proxy', 'http://site-squid:3128']);
      expect(withDefaults.code, withDefaults.stderr).toBe(3);
      expect(await readFile(file, 'utf8')).toContain('CVMFS_HTTP_PROXY="http://site-squid:3128;DIRECT"');

      const other = fresh('default.local');
      await writeFile(other, SITE_FILE);
      const nothing = await cli(['--server', down, '--cvmfs-config', other, '--state-file', fresh('none')]);
      expect(nothing.code).toBe(1);
      expect(nothing.stderr).toContain('nothing written');
      expect(await readFile(other, 'utf8')).toBe(SITE_FILE);
    });

    it('tells a running CVMFS through cvmfs_talk, once per repository, keeping the rest of default.local byte for byte', async () => {
      const bin = fresh('bin');
      await mkdir(bin);
      const record = join(bin, 'calls.log');
      await writeFile(join(bin, 'cvmfs_talk'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >> ${JSON.stringify(record)}\necho --- >> ${JSON.stringify(record)}\n`);
      await chmod(join(bin, 'cvmfs_talk'), 0o755);
      const file = fresh('default.local');
      await writeFile(file, SITE_FILE);
      const env = { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
      const result = await cli(['--server', server.url, '--count', '2', '--cvmfs-config', file, '--state-file', fresh('s'), '--repositories', 'atlas.cern.ch,sft.cern.ch'], env);
      expect(result.code, result.stderr).toBe(0);
      expect(await readFile(record, 'utf8')).toBe(`-i\natlas.cern.ch\nproxy\nset\n${good()}\n---\n-i\nsft.cern.ch\nproxy\nset\n${good()}\n---\n`);
      expect(await readFile(file, 'utf8')).toBe(SITE_FILE.replace('CVMFS_HTTP_PROXY=DIRECT', `CVMFS_HTTP_PROXY="${good()}"`));

      // A cvmfs_talk that fails is reported, and the run counts as failed.
      await writeFile(join(bin, 'cvmfs_talk'), '#!/bin/sh\necho "Seems like CernVM-FS is not running" >&2\nexit 1\n');
      const failing = await cli(['--server', server.url, '--count', '2', '--cvmfs-config', file, '--state-file', fresh('s'), '--repositories', 'atlas.cern.ch'], env);
      expect(failing.code).toBe(1);
      expect(failing.stderr).toContain('proxy set');
      expect(failing.stderr).toContain('CernVM-FS is not running');
    });

    it('merges the proxies into a given FRONTIER_SERVER with --frontier, writing nothing', async () => {
      const file = fresh('default.local');
      await writeFile(file, SITE_FILE);
      // The proxies are tested with a Frontier request to this serverurl, through each Squid.
      const frontier = `(serverurl=${origin.url}/atlr)(proxyurl=http://site-squid:3128)`;
      const result = await cli(['--server', server.url, '--count', '2', '--frontier', '--cvmfs-config', file, '--state-file', fresh('s')], { FRONTIER_SERVER: frontier });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe(
        `(serverurl=${origin.url}/atlr)(proxyurl=${squids[1]?.url})(proxyurl=${squids[2]?.url})(proxyurl=http://site-squid:3128)`,
      );
      expect(origin.requests).toContain('/atlr/Frontier');
      expect(await readFile(file, 'utf8')).toBe(SITE_FILE);
    });
  });
});
