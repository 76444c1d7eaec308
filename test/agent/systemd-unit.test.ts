import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AGENT_CONFIG_ENV, AGENT_ENV_PREFIX, agentConfigTable } from '../../agent/config.js';
import { envName } from '../../shared/config.js';
import { BIN } from '../support/processes.js';
import { serviceAvailable } from '../support/services.js';

const run = promisify(execFile);
const UNIT = fileURLToPath(new URL('../../agent/systemd/shoal-agent.service', import.meta.url));
const analyze = await serviceAvailable('systemd-analyze', async () => void (await run('systemd-analyze', ['--version'])), 'apt-get install -y systemd');

/** The unit as shipped, but starting the agent built in this tree (verify checks that ExecStart exists). */
async function localCopy(): Promise<string> {
  const text = (await readFile(UNIT, 'utf8')).replace(/^ExecStart=.*$/m, `ExecStart=${process.execPath} ${BIN.agent}`);
  const path = join(await mkdtemp(join(tmpdir(), 'shoal-unit-')), 'shoal-agent.service');
  await writeFile(path, text);
  return path;
}

describe('agent/systemd/shoal-agent.service', () => {
  it('sets only environment names the agent reads', async () => {
    const text = await readFile(UNIT, 'utf8');
    const known = new Set([AGENT_CONFIG_ENV, ...Object.keys(agentConfigTable).map((k) => envName(AGENT_ENV_PREFIX, k))]);
    const set = [...text.matchAll(/^Environment=(\w+)=/gm)].map((m) => m[1]);
    expect(set.length).toBeGreaterThan(0);
    for (const name of set) expect(known, `${name} is not an agent setting`).toContain(name);
  });

  it.runIf(analyze)('passes systemd-analyze verify without a warning', async () => {
    const { stdout, stderr } = await run('systemd-analyze', ['verify', await localCopy()]);
    expect(`${stdout}${stderr}`.trim()).toBe('');
  });

  it.runIf(analyze)('is hardened: systemd rates its exposure below 2 (of 10)', async () => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', await localCopy()]).catch((e: { stdout: string }) => e);
    const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(stdout)?.[1]);
    expect(exposure).toBeLessThan(2);
  });
});
