#!/usr/bin/env node
import { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../shared/version.js';
import { configLines, execStart, PROGRAMS, renderUnit, UNITS, type Program } from './units.js';

/**
 * shoal-install-units: writes the systemd units of the named programs with ExecStart= set to this node
 * and this package's programs, wherever npm put them, and the config file found in /etc/shoal.
 */

/** The package's root: the folder above this file holding shoal's package.json (systemd/ in the source, dist/systemd/ built). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'shoal') return dir;
    } catch {
      // not here: one folder up
    }
  }
  throw new Error('cannot find the shoal package this installer belongs to');
}

/** Why a service could not start `path`: under a home directory (ProtectHome=), or closed to a user other than root. */
function unreachable(path: string, asRoot: boolean): string | null {
  if (/^\/(home|root|run\/user)(\/|$)/.test(path)) return 'it is under a home directory, which ProtectHome=yes hides from the service';
  if (asRoot) return null;
  for (let dir = dirname(path); dir !== '/'; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return `${dir} is closed to other users, and the service's user is not root`;
  }
  return (statSync(path).mode & 0o004) === 0 ? 'it is not readable by other users, and the service runs as its own user' : null;
}

const program = new Command('shoal-install-units')
  .description('Writes the systemd units of shoal-server, shoal-agent and shoal-client with the paths of this installation.')
  .argument('<program...>', `which units: ${PROGRAMS.join(', ')}`)
  .option('--dir <dir>', 'where the units go', '/etc/systemd/system')
  .option('--sysusers-dir <dir>', "where the server's system user is declared", '/etc/sysusers.d')
  .option('--config <file>', 'the config file the unit names (one program only); default: the first that exists of /etc/shoal/shoal-<program>.json, /etc/shoal/shoal_<program>.conf')
  .option('--print', 'print the files (as `systemctl cat` does) instead of writing them');
program.version(packageVersion(), '-V, --version', 'print the version and exit');
program.showHelpAfterError('Usage: shoal-install-units [options] <server|agent|client...>  (shoal-install-units --help for more)');
program.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
program.parse(process.argv);
const opts = program.opts<{ dir: string; sysusersDir: string; config?: string; print?: boolean }>();

function usage(message: string): never {
  process.stderr.write(`shoal-install-units: ${message}\nUsage: shoal-install-units [options] <server|agent|client...>\n`);
  process.exit(2);
}

const names = [...new Set(program.args)];
for (const name of names) if (!(PROGRAMS as readonly string[]).includes(name)) usage(`unknown program ${JSON.stringify(name)}: give ${PROGRAMS.join(', ')}`);
if (opts.config !== undefined && names.length !== 1) usage('--config names one program\'s file: give one program with it');

const root = packageRoot();
const bins = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;
const node = realpathSync(process.execPath);
const files: { path: string; text: string }[] = [];
const warnings: string[] = [];
const next: string[] = [];
const enable: string[] = [];

for (const name of names as Program[]) {
  const spec = UNITS[name];
  const binPath = bins[spec.bin];
  if (!binPath) throw new Error(`package.json has no bin ${spec.bin}`);
  const script = realpathSync(join(root, binPath));
  const asRoot = name === 'client';
  for (const path of [node, script]) {
    const why = unreachable(path, asRoot);
    if (why) warnings.push(`${spec.units[0]} cannot run ${path}: ${why}. Put node and the package where the service can read them (npm install -g shoal-<version>.tgz does).`);
  }
  const config = opts.config ?? spec.configCandidates.find((path) => existsSync(path)) ?? null;
  if (config === null) warnings.push(`${spec.units[0]}: no config file found; write ${spec.configCandidates[0]} (or keep the original ${spec.configCandidates[1]}) and run this again`);
  const fill = { exec: execStart(node, script), config: configLines(spec, config) };
  for (const unit of spec.units) {
    const template = readFileSync(join(root, 'systemd', unit), 'utf8');
    const header = `# Written by shoal-install-units ${packageVersion()} from ${join(root, 'systemd', unit)}.\n# Run it again after moving node or the package; local changes belong in a drop-in (systemctl edit).`;
    files.push({ path: join(opts.dir, unit), text: renderUnit(template, fill, header) });
  }
  if (spec.sysusers) {
    files.push({ path: join(opts.sysusersDir, spec.sysusers.file), text: spec.sysusers.text });
    next.push(`systemd-sysusers                      # creates the user shoal (${join(opts.sysusersDir, spec.sysusers.file)})`);
    if (config) next.push(`chgrp shoal ${config} && chmod 0640 ${config}   # and the keyring file, if any`);
  }
  enable.push(name === 'client' ? 'shoal-client.timer' : (spec.units[0] as string));
}
next.push('systemctl daemon-reload', `systemctl enable --now ${enable.join(' ')}`);

for (const warning of warnings) process.stderr.write(`shoal-install-units: warning: ${warning}\n`);
if (opts.print) {
  process.stdout.write(files.map((f) => `# ${f.path}\n${f.text}`).join('\n'));
} else {
  for (const file of files) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.text, { mode: 0o644 });
    process.stdout.write(`wrote ${file.path}\n`);
  }
  process.stdout.write(`next:\n${next.map((line) => `  ${line}\n`).join('')}`);
}
