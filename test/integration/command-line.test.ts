import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN } from '../support/processes.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const PROGRAMS = Object.entries({ 'shoal-server': BIN.server, 'shoal-agent': BIN.agent, 'shoal-client': BIN.client, 'shoal-demo': BIN.demo });

function run(path: string, args: string[]) {
  const result = spawnSync(process.execPath, [path, ...args], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, SHOAL_LOG_LEVEL: 'silent' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.each(PROGRAMS)('%s on its command line', (name, path) => {
  it('prints the package version with --version and -V, exit 0', () => {
    for (const flag of ['--version', '-V']) expect(run(path, [flag])).toMatchObject({ status: 0, stdout: `${VERSION}\n` });
  });

  it('exits 2 with a usage line for an unknown flag', () => {
    const result = run(path, ['--no-such-flag']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown option '--no-such-flag'");
    expect(result.stderr).toContain(`Usage: ${name} [options]`);
  });

  it('exits 2 with a usage line for a stray argument', () => {
    const result = run(path, ['stray']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('too many arguments');
    expect(result.stderr).toContain(`Usage: ${name} [options]`);
  });

  it('answers --help on stdout, exit 0', () => {
    const result = run(path, ['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Usage: ${name} [options]`);
    expect(result.stdout).toContain('--version');
  });
});

describe('the package', () => {
  it('ships a LICENSE whose text is the license package.json names', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { license: string };
    expect(pkg.license).toBe('Apache-2.0');
    const text = readFileSync(new URL('../../LICENSE', import.meta.url), 'utf8');
    expect(text).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  });
});
