import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeThroughProxy } from '../../shared/cvmfs-probe.js';
import { frontierRequestUrl } from '../../shared/frontier-probe.js';
import { signMessage } from '../../shared/signing.js';
import { createManualClock } from '../support/clock.js';
import { BIN, runProgram } from '../support/processes.js';
import { writeKeyringFile } from '../support/security.js';
import { originalHeartbeat, startTestServer, type TestServer } from '../support/server.js';
import { freePort, squidAvailable, startOrigin, startSquid, type Origin, type SquidInstance } from '../support/squid.js';
import { makeTempDir } from '../support/temp.js';

const squid = await squidAvailable();

describe('shoal-client --frontier when no server answers', () => {
  // As a job script runs it: FRONTIER_SERVER="$(shoal-client --frontier)", with the default start delay.
  it('prints FRONTIER_SERVER unchanged at once (no start delay), exit 3, rather than emptying the variable', async () => {
    const dir = await makeTempDir('shoal-frontier-cli-');
    const frontier = '(serverurl=http://frontier.example:8000/atlr)(proxyurl=http://site-squid:3128)';
    const down = `http://127.0.0.1:${await freePort()}`;
    const args = ['--frontier', '--server', down, '--timeout', '1000', '--state-file', join(dir, 'state.json'), '--cvmfs-config', join(dir, 'default.local')];
    const result = await runProgram(BIN.client, args, { FRONTIER_SERVER: frontier });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toBe(`${frontier}\n`);
    expect(result.stderr).toContain('no server answered');
  });
});

describe.runIf(squid)('Frontier requests through the real Squid', () => {
  let origin: Origin;
  let open: SquidInstance;
  let noFrontier: SquidInstance;
  let noCvmfs: SquidInstance;
  let frontierUrl: string;

  beforeAll(async () => {
    origin = await startOrigin();
    frontierUrl = `${origin.url}/atlr`;
    [open, noFrontier, noCvmfs] = await Promise.all([startSquid(), startSquid({ denyPaths: ['/Frontier'] }), startSquid({ denyPaths: ['^/cvmfs/'] })]);
  });
  afterAll(async () => {
    await Promise.all([open?.stop(), noFrontier?.stop(), noCvmfs?.stop()]);
    await origin?.close();
  });

  it('the probe: a Frontier request passes through a Squid that serves it, and fails with its reason where refused', async () => {
    const url = frontierRequestUrl(frontierUrl);
    expect(url).toMatch(/\/atlr\/Frontier\?type=frontier_request:1:DEFAULT&encoding=BLOB&p1=\S+$/);
    expect(await probeThroughProxy({ host: '127.0.0.1', port: noCvmfs.port }, url, 2000)).toMatchObject({ ok: true, status: 200 });
    expect(await probeThroughProxy({ host: '127.0.0.1', port: noFrontier.port }, url, 2000)).toMatchObject({ ok: false, reason: 'HTTP 403 (ERR_ACCESS_DENIED)' });
  });

  describe('shoal-client --frontier', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ amqp: false });
      for (const [s, load] of [[noFrontier, 1000], [noCvmfs, 2000], [open, 3000]] as const) {
        const hb = originalHeartbeat({ hostname: '127.0.0.1', cache_port: String(s.port), load, max_load: 100_000, upstream: 'frontier' });
        expect((await server.ingest.handle(JSON.stringify(hb))).ok).toBe(true);
      }
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('tests each proxy with a Frontier request to the serverurl: the Squid refusing Frontier is dropped, the one refusing CVMFS kept', async () => {
      const dir = await makeTempDir('shoal-frontier-');
      const frontier = `(serverurl=${frontierUrl})`;
      const args = ['--frontier', '--server', server.url, '--count', '3', '--discovery-time', '0', '--state-file', join(dir, 'state.json'), '--json'];
      const result = await runProgram(BIN.client, args, { FRONTIER_SERVER: frontier });
      expect(result.code, result.stderr).toBe(0);
      const decision = JSON.parse(result.stdout) as { value: string; checked: { url: string; ok: boolean; error: string | null }[] };
      // The two caches that pass tie in the server's ranking (same place, same load), so their order is not fixed.
      expect(decision.value.startsWith(frontier)).toBe(true);
      expect(decision.value.slice(frontier.length).match(/\(proxyurl=[^)]*\)/g)?.sort()).toEqual([`(proxyurl=${noCvmfs.url})`, `(proxyurl=${open.url})`].sort());
      expect(decision.checked.find((c) => c.url === noFrontier.url)).toMatchObject({ ok: false, error: 'HTTP 403 (ERR_ACCESS_DENIED)' });
      expect(origin.requests).toContain('/atlr/Frontier');
      expect(origin.requests.some((p) => p.startsWith('/cvmfs/'))).toBe(false);
    });
  });

  describe('the server verifier', () => {
    const KEY = { keyId: 'loopback', secret: 'loopback-test-secret-0123456789' };
    const KEYRING = { keys: { [KEY.keyId]: { secrets: [KEY.secret], addresses: ['127.0.0.0/8'], hostnames: ['*.test'] } } };
    const clock = createManualClock(Date.now());
    let seq = 0;
    const cache = (id: string, port: number, upstream: string) =>
      signMessage(
        originalHeartbeat({ uuid: id, hostname: `${id}.test`, cache_port: String(port), upstream, public_ip: '127.0.0.1', external_ip: null, private_ip: null, latitude: 48.46, longitude: -123.31, timestamp: clock.now() / 1000 }),
        KEY,
        ++seq,
      );
    const start = async (flags: Record<string, unknown>) => {
      const server = await startTestServer({
        clock,
        amqp: false,
        // advertise address: these caches' names (*.test) resolve nowhere; their address is what is handed out and checked.
        flags: { advertise: 'address', verify: true, verifyUrls: `${origin.url}/cvmfs/atlas.cern.ch/.cvmfspublished`, verifyInterval: 3600, verifyTimeout: 2000, signatureMode: 'permissive', keyringFile: await writeKeyringFile(KEYRING), ...flags },
      });
      for (const [id, port, upstream] of [['fopen', open.port, 'frontier'], ['fdeny', noFrontier.port, 'frontier'], ['fnocvmfs', noCvmfs.port, 'frontier'], ['both', open.port, 'both']] as const) {
        expect((await server.ingest.handle(JSON.stringify(cache(id, port, upstream)))).ok).toBe(true);
      }
      return server;
    };

    it('without a Frontier test URL, Frontier-only caches are not checked (as before)', async () => {
      const server = await start({});
      try {
        expect(await server.verifier!.runOnce()).toMatchObject({ checked: 1, passed: 1 });
        for (const id of ['fopen', 'fdeny', 'fnocvmfs']) expect(server.registry.get(id)?.verification).toBeNull();
      } finally {
        await server.stop();
      }
    });

    it('with one, probes each Frontier-only cache with a Frontier request through its Squid', async () => {
      const server = await start({ verifyFrontierUrls: frontierUrl });
      try {
        expect(await server.verifier!.runOnce()).toMatchObject({ checked: 4, passed: 3, failed: 1 });
        expect(server.registry.get('fopen')?.verification?.ok).toBe(true);
        expect(server.registry.get('fnocvmfs')?.verification?.ok).toBe(true); // refuses CVMFS, serves Frontier
        expect(server.registry.get('fdeny')?.verification).toMatchObject({ ok: false, reason: expect.stringContaining('ERR_ACCESS_DENIED') });
        expect(server.registry.get('both')?.verification?.ok).toBe(true);
      } finally {
        await server.stop();
      }
    });
  });

  describe('shoal-client writing the CVMFS config', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ amqp: false });
      const hb = originalHeartbeat({ hostname: '127.0.0.1', cache_port: String(open.port), load: 0, max_load: 100_000 });
      expect((await server.ingest.handle(JSON.stringify(hb))).ok).toBe(true);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('succeeds when the config is written but the state file cannot be (warning only)', async () => {
      const dir = await makeTempDir('shoal-state-full-');
      const file = join(dir, 'default.local');
      const notADir = join(dir, 'plain-file');
      await writeFile(notADir, 'a file where the state directory should be\n');
      const args = ['--server', server.url, '--start-delay', '0', '--discovery-time', '0', '--count', '1', '--apply', 'never', '--test-url', `${origin.url}/cvmfs/atlas.cern.ch/.cvmfspublished`];
      const result = await runProgram(BIN.client, [...args, '--cvmfs-config', file, '--state-file', join(notADir, 'state.json')]);
      expect(result.code, result.stderr).toBe(0);
      expect(await readFile(file, 'utf8')).toBe(`CVMFS_HTTP_PROXY="${open.url};DIRECT"\n`);
      expect(result.stderr).toContain('cannot save the state file');
    });
  });
});
