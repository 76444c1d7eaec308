import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_ENV_PREFIX, agentConfigTable } from '../../agent/config.js';
import { CLIENT_ENV_PREFIX, clientConfigTable } from '../../client/config.js';
import { SERVER_ENV_PREFIX, serverConfigTable } from '../../server/config.js';
import { envName, type ConfigTable } from '../../shared/config.js';
import { configLines, execStart, PROGRAMS, renderUnit, systemdWord, UNITS, type Program } from '../../systemd/units.js';
import { BIN, runProgram } from '../support/processes.js';
import { serviceAvailable } from '../support/services.js';

const run = promisify(execFile);
const INSTALLER = fileURLToPath(new URL('../../dist/systemd/install-units.js', import.meta.url));
const analyze = await serviceAvailable('systemd-analyze', async () => void (await run('systemd-analyze', ['--version'])), 'apt-get install -y systemd');

const SETTINGS: Record<Program, { prefix: string; table: ConfigTable }> = {
  server: { prefix: SERVER_ENV_PREFIX, table: serverConfigTable },
  agent: { prefix: AGENT_ENV_PREFIX, table: agentConfigTable },
  client: { prefix: CLIENT_ENV_PREFIX, table: clientConfigTable },
};
const SERVICES = PROGRAMS.map((p) => UNITS[p].units[0] as string);

describe('filling a unit template', () => {
  it.each([
    ['/usr/bin/node', '/usr/bin/node'],
    ['/opt/node v20/bin/node', '"/opt/node v20/bin/node"'],
    ['/srv/100%/main.js', '/srv/100%%/main.js'],
    ['/srv/$HOME/main.js', '"/srv/$$HOME/main.js"'],
    ['/srv/a;b/main.js', '"/srv/a;b/main.js"'],
    ['/srv/say "hi"/x', '"/srv/say \\"hi\\"/x"'],
  ])('writes %s as %s', (text, word) => {
    expect(systemdWord(text)).toBe(word);
  });

  it('refuses a path with a newline, and a relative path in ExecStart=', () => {
    expect(() => systemdWord('/a\nExecStartPre=/bin/sh')).toThrow(/cannot write/);
    expect(() => execStart('node', '/usr/lib/node_modules/shoal/dist/server/main.js')).toThrow(/absolute/);
  });

  it('names the server and client config by path, and hands the agent a private copy keeping the file name', () => {
    expect(configLines(UNITS.server, '/etc/shoal/shoal_server.conf')).toBe('Environment=SHOAL_CONFIG=/etc/shoal/shoal_server.conf');
    expect(configLines(UNITS.client, '/etc/shoal/shoal-client.json')).toBe('Environment=SHOAL_CLIENT_CONFIG=/etc/shoal/shoal-client.json');
    expect(configLines(UNITS.agent, '/etc/shoal/shoal_agent.conf')).toBe(
      'LoadCredential=shoal_agent.conf:/etc/shoal/shoal_agent.conf\nEnvironment=SHOAL_AGENT_CONFIG=%d/shoal_agent.conf',
    );
  });

  it('says where it looked when there is no config file', () => {
    expect(configLines(UNITS.agent, null)).toMatch(/^# No config file .*\/etc\/shoal\/shoal-agent\.json, \/etc\/shoal\/shoal_agent\.conf/);
  });

  it('refuses a template with a hole it does not know', () => {
    expect(() => renderUnit('[Service]\nExecStart=@EXEC@\nUser=@USER@\n', { exec: '/usr/bin/node /x.js', config: '' }, '#')).toThrow(/@USER@/);
  });
});

describe('shoal-install-units', () => {
  let dir: string;
  let units: string;
  let written: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-units-'));
    units = join(dir, 'system');
    written = await runProgram(INSTALLER, ['--dir', units, '--sysusers-dir', join(dir, 'sysusers.d'), ...PROGRAMS]);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const unit = (name: string) => readFile(join(units, name), 'utf8');

  it('writes every unit, and says what to run next', async () => {
    expect(written.code, written.stderr).toBe(0);
    expect((await readdir(units)).sort()).toEqual(['shoal-agent.service', 'shoal-client.service', 'shoal-client.timer', 'shoal-server.service']);
    expect(written.stdout).toContain('systemctl enable --now shoal-server.service shoal-agent.service shoal-client.timer');
  });

  it.each(PROGRAMS)('starts %s with this node and the program where it is installed', async (program) => {
    const text = await unit(UNITS[program].units[0] as string);
    expect(text.match(/^ExecStart=.*$/gm)).toEqual([`ExecStart=${realpathSync(process.execPath)} ${realpathSync(BIN[program])}`]);
    expect(text).not.toMatch(/@[A-Z]+@/);
  });

  it("declares the server's user for systemd-sysusers", async () => {
    expect(await unit('shoal-server.service')).toMatch(/^User=shoal$/m);
    expect(await readFile(join(dir, 'sysusers.d', 'shoal.conf'), 'utf8')).toMatch(/^u shoal - /m);
  });

  it.each(PROGRAMS)('%s: sets only environment names the program reads', async (program) => {
    const { prefix, table } = SETTINGS[program];
    const known = new Set([UNITS[program].configEnv, ...Object.keys(table).map((k) => envName(prefix, k))]);
    const config = join(dir, `${program}.json`);
    await writeFile(config, '{}\n');
    const { code, stdout, stderr } = await runProgram(INSTALLER, ['--print', '--config', config, program]);
    expect(code, stderr).toBe(0);
    const set = [...stdout.matchAll(/^Environment="?(\w+)=/gm)].map((m) => m[1]);
    expect(set).toContain(UNITS[program].configEnv);
    for (const name of set) expect(known, `${name} is not a ${program} setting`).toContain(name);
  });

  it('prints, with --print, the files it would write', async () => {
    const printed = await runProgram(INSTALLER, ['--print', '--dir', units, '--sysusers-dir', join(dir, 'sysusers.d'), ...PROGRAMS]);
    expect(printed.code).toBe(0);
    const files = await Promise.all(['shoal-server.service', 'shoal-agent.service', 'shoal-client.service', 'shoal-client.timer'].map(async (n) => `# ${join(units, n)}\n${await unit(n)}`));
    for (const file of files) expect(printed.stdout).toContain(file);
  });

  it.each([
    [['webserver'], /unknown program "webserver"/],
    [[], /missing required argument/],
    [['--config', '/etc/shoal/x.json', 'server', 'agent'], /--config names one program/],
  ])('exits 2 with a usage line for %j', async (args, message) => {
    const { code, stderr } = await runProgram(INSTALLER, args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/Usage: shoal-install-units/);
  });

  it.runIf(analyze)('writes units that pass systemd-analyze verify without a warning', async () => {
    const files = (await readdir(units)).map((n) => join(units, n));
    const { stdout, stderr } = await run('systemd-analyze', ['verify', ...files]);
    expect(`${stdout}${stderr}`.trim()).toBe('');
  });

  it.runIf(analyze)('writes an agent unit with its config as a credential that passes verify', async () => {
    const agentDir = join(dir, 'with-config');
    const config = join(dir, 'shoal_agent.conf');
    await writeFile(config, '[general]\n');
    expect((await runProgram(INSTALLER, ['--dir', agentDir, '--config', config, 'agent'])).code).toBe(0);
    const path = join(agentDir, 'shoal-agent.service');
    expect(await readFile(path, 'utf8')).toContain(`LoadCredential=shoal_agent.conf:${config}`);
    const { stdout, stderr } = await run('systemd-analyze', ['verify', path]);
    expect(`${stdout}${stderr}`.trim()).toBe('');
  });

  it.runIf(analyze).each(SERVICES)('is hardened: systemd rates %s 2.0 or better (of 10)', async (name) => {
    // --threshold=20: systemd-analyze itself fails above 2.0; the score is read too, for the message.
    const result = await run('systemd-analyze', ['security', '--offline=true', '--threshold=20', '--no-pager', join(units, name)]).then(
      (r) => ({ ...r, code: 0 }),
      (e: { stdout: string; stderr: string; code: number }) => e,
    );
    const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(result.stdout)?.[1]);
    expect(exposure, result.stdout).toBeLessThanOrEqual(2);
    expect(result.code, result.stderr).toBe(0);
  });
});
