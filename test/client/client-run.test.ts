import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeOf, runClient, type ClientDeps, type Decision } from '../../client/client.js';
import { loadClientConfig } from '../../client/config.js';
import { createLastGoodStore, type LastGoodStore } from '../../client/last-good.js';
import { systemClock } from '../../shared/clock.js';
import { createSilentLogger } from '../../shared/logger.js';
import { freePort } from '../support/squid.js';
import { makeTempDir } from '../support/temp.js';

/** One run of the client against a server that is not there (nothing listens on its port). */
describe('client runs when the server cannot be reached', () => {
  let down: string;
  let dir: string;
  let n = 0;
  const fresh = (name: string) => join(dir, `${++n}-${name}`);

  beforeAll(async () => {
    down = `http://127.0.0.1:${await freePort()}`;
  });
  beforeEach(async () => {
    dir = await makeTempDir('shoal-client-run-');
  });

  const run = (flags: Record<string, unknown>, deps: Partial<ClientDeps> = {}): Promise<Decision> =>
    runClient({
      config: loadClientConfig({
        env: {},
        flags: { server: down, timeout: 1000, startDelay: 0, discoveryTime: 0, apply: 'never', logLevel: 'silent', stateFile: fresh('state.json'), cvmfsConfig: fresh('default.local'), ...flags },
      }),
      logger: createSilentLogger(),
      clock: systemClock,
      env: {},
      ...deps,
    });

  it('--frontier starts at once: the start delay is for the cron run that writes the CVMFS config', async () => {
    const slept: number[] = [];
    const deps = { sleep: async (ms: number) => void slept.push(ms), random: () => 0.99 };
    const frontierServer = '(serverurl=http://127.0.0.1:9/atlr)';
    await run({ startDelay: 180, frontierServer, defaultProxy: 'http://site:3128' }, { ...deps, frontier: true });
    expect(slept).toEqual([]);
    await run({ startDelay: 180, defaultProxy: 'http://site:3128' }, deps);
    expect(slept).toEqual([Math.floor(0.99 * 180 * 1000)]);
  });

  it('--frontier prints FRONTIER_SERVER unchanged rather than nothing, as a fallback', async () => {
    const frontierServer = '(serverurl=http://frontier.example:8000/atlr)(proxyurl=http://site-squid:3128)';
    const d = await run({ frontierServer }, { frontier: true });
    expect(d).toMatchObject({ outcome: 'fallback', reason: 'no server answered', fallback: { source: 'defaults' }, value: frontierServer, written: null });
    expect(exitCodeOf(d)).toBe(3);
    // Nothing to print at all: that is a failure.
    const none = await run({}, { frontier: true });
    expect(none).toMatchObject({ outcome: 'failed', value: null });
    expect(exitCodeOf(none)).toBe(1);
  });

  it('--frontier merges the last good list when there is one', async () => {
    const stateFile = fresh('state.json');
    const saved = `http://127.0.0.1:${await freePort()}`;
    await writeFile(stateFile, JSON.stringify({ version: 1, savedAt: '2026-01-01T00:00:00.000Z', server: null, proxies: [saved] }));
    const d = await run({ stateFile, frontierServer: '(serverurl=http://127.0.0.1:9/atlr)' }, { frontier: true });
    expect(d).toMatchObject({ outcome: 'fallback', fallback: { source: 'last-good' }, value: `(serverurl=http://127.0.0.1:9/atlr)(proxyurl=${saved})` });
    // The saved proxy was tested with a Frontier request (it failed: nothing listens there, so all are kept).
    expect(d.checked).toMatchObject([{ url: saved, ok: false }]);
  });

  it("takes the CVMFS config's own CVMFS_HTTP_PROXY as the site default, and keeps it after writing there", async () => {
    const cvmfsConfig = fresh('default.local');
    const stateFile = fresh('state.json');
    await writeFile(cvmfsConfig, 'CVMFS_REPOSITORIES=atlas.cern.ch\nCVMFS_HTTP_PROXY="http://site-squid:3128;DIRECT"\n');
    const first = await run({ cvmfsConfig, stateFile, direct: 'never' });
    expect(first).toMatchObject({ outcome: 'fallback', fallback: { source: 'defaults' }, siteDefault: { from: 'cvmfs-config', value: 'http://site-squid:3128;DIRECT' } });
    expect(first.value).toBe('http://site-squid:3128');
    expect(await readFile(cvmfsConfig, 'utf8')).toContain('CVMFS_HTTP_PROXY="http://site-squid:3128"\n');
    // The file now holds what shoal-client wrote: the site default is still the one it held before.
    const second = await run({ cvmfsConfig, stateFile });
    expect(second).toMatchObject({ siteDefault: { from: 'cvmfs-config', value: 'http://site-squid:3128;DIRECT' }, value: 'http://site-squid:3128;DIRECT' });
    // A configured default wins.
    const third = await run({ cvmfsConfig, stateFile, defaultProxy: 'http://configured:3128' });
    expect(third).toMatchObject({ siteDefault: { from: 'setting' }, value: 'http://configured:3128;DIRECT' });
  });

  it('reloads CVMFS only when the written value changed', async () => {
    const bin = fresh('bin');
    await mkdir(bin);
    const record = join(bin, 'calls.log');
    await writeFile(join(bin, 'cvmfs_config'), `#!/bin/sh\necho "$*" >> ${JSON.stringify(record)}\n`);
    await chmod(join(bin, 'cvmfs_config'), 0o755);
    const env = { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
    const flags = { apply: 'reload', cvmfsConfig: fresh('default.local'), stateFile: fresh('state.json') };
    const calls = async () => (await readFile(record, 'utf8').catch(() => '')).split('\n').filter(Boolean);

    const first = await run({ ...flags, defaultProxy: 'http://a:3128' }, { env });
    expect(first).toMatchObject({ changed: true, applied: { results: [{ ok: true }] } });
    expect(await calls()).toEqual(['reload']);
    const same = await run({ ...flags, defaultProxy: 'http://a:3128' }, { env });
    expect(same).toMatchObject({ changed: false, applied: null });
    expect(await calls()).toEqual(['reload']);
    const other = await run({ ...flags, defaultProxy: 'http://b:3128' }, { env });
    expect(other.changed).toBe(true);
    expect(await calls()).toEqual(['reload', 'reload']);
  });

  it('a state file that cannot be saved does not fail a run whose config was written', async () => {
    const real = createLastGoodStore(fresh('state.json'));
    const full: LastGoodStore = {
      load: () => real.load(),
      save: () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })),
    };
    const cvmfsConfig = fresh('default.local');
    const d = await run({ cvmfsConfig, defaultProxy: 'http://site:3128' }, { lastGood: full });
    expect(d).toMatchObject({ outcome: 'fallback', changed: true });
    expect(exitCodeOf(d)).toBe(3); // the fallback's own code, not a failure
    expect(await readFile(cvmfsConfig, 'utf8')).toBe('CVMFS_HTTP_PROXY="http://site:3128;DIRECT"\n');
  });
});
