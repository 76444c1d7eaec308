import { basename } from 'node:path';
import { AGENT_CONFIG_ENV } from '../agent/config.js';
import { CLIENT_CONFIG_ENV } from '../client/config.js';
import { SERVER_CONFIG_ENV } from '../server/config.js';

/**
 * The systemd units shipped in systemd/ are templates with two holes: `@EXEC@` (the program, started by
 * this node) and `@CONFIG@` (the config file the program reads). Filling them is pure: the installer
 * (install-units.ts) finds the paths and writes the result.
 */

export const PROGRAMS = ['server', 'agent', 'client'] as const;
export type Program = (typeof PROGRAMS)[number];

export interface ProgramUnits {
  /** Name in package.json "bin", whose file ExecStart= runs. */
  bin: string;
  /** Unit files, in systemd/, the first being the service that runs the program. */
  units: readonly string[];
  /** The env variable naming the program's config file. */
  configEnv: string;
  /** Config files looked for, in order, when none is named (ours, then the original Shoal's INI file). */
  configCandidates: readonly string[];
  /**
   * The service runs as a user that cannot read a root-only file (DynamicUser): systemd hands it a
   * private copy of the config (LoadCredential=) instead of the file itself.
   */
  configAsCredential: boolean;
  /** A system user the service runs as, declared in a sysusers.d file (systemd-sysusers creates it). */
  sysusers?: { file: string; text: string };
}

export const UNITS: Readonly<Record<Program, ProgramUnits>> = {
  server: {
    bin: 'shoal-server',
    units: ['shoal-server.service'],
    configEnv: SERVER_CONFIG_ENV,
    configCandidates: ['/etc/shoal/shoal-server.json', '/etc/shoal/shoal_server.conf'],
    configAsCredential: false,
    sysusers: { file: 'shoal.conf', text: '# The user shoal-server.service runs as (systemd-sysusers creates it).\nu shoal - "Shoal server" - -\n' },
  },
  agent: {
    bin: 'shoal-agent',
    units: ['shoal-agent.service'],
    configEnv: AGENT_CONFIG_ENV,
    configCandidates: ['/etc/shoal/shoal-agent.json', '/etc/shoal/shoal_agent.conf'],
    configAsCredential: true,
  },
  client: {
    bin: 'shoal-client',
    units: ['shoal-client.service', 'shoal-client.timer'],
    configEnv: CLIENT_CONFIG_ENV,
    configCandidates: ['/etc/shoal/shoal-client.json', '/etc/shoal/shoal_client.conf'],
    configAsCredential: false,
  },
};

/**
 * One word of a systemd command line or setting value: `%` and `$` escaped (systemd would expand
 * them), quoted when it holds anything that would split or end it.
 */
export function systemdWord(text: string): string {
  if (/[\0\n\r]/.test(text)) throw new Error(`cannot write ${JSON.stringify(text)} in a unit file`);
  const escaped = text.replaceAll('%', '%%').replaceAll('$', '$$$$');
  if (/^[\w@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** `ExecStart=` that runs `program` (a .js file) with `node`, both absolute paths. */
export function execStart(node: string, program: string): string {
  for (const path of [node, program]) if (!path.startsWith('/')) throw new Error(`ExecStart= needs absolute paths, not ${path}`);
  return `${systemdWord(node)} ${systemdWord(program)}`;
}

/** The lines that hand the program its config file, or a comment saying there is none. */
export function configLines(spec: ProgramUnits, configFile: string | null): string {
  if (configFile === null) {
    return (
      `# No config file was found when this unit was written (looked for ${spec.configCandidates.join(', ')}):\n` +
      `# settings come from the defaults. Write one and run shoal-install-units again, or set them in a drop-in.`
    );
  }
  if (!configFile.startsWith('/')) throw new Error(`the config file must be an absolute path, not ${configFile}`);
  if (!spec.configAsCredential) return `Environment=${systemdWord(`${spec.configEnv}=${configFile}`)}`;
  // The credential keeps the file's name, so its extension (.json, or .conf for the original INI
  // form) still says how to read it.
  const id = /^[\w.-]+$/.test(basename(configFile)) ? basename(configFile) : 'config';
  return `LoadCredential=${id}:${systemdWord(configFile)}\nEnvironment=${spec.configEnv}=%d/${id}`;
}

/** A template with its holes filled; throws if the template has a hole this code does not know. */
export function renderUnit(template: string, fill: { exec: string; config: string }, header: string): string {
  const text = template.replace(/^ExecStart=@EXEC@$/m, () => `ExecStart=${fill.exec}`).replace(/^@CONFIG@$/m, () => fill.config);
  const hole = /@[A-Z]+@/.exec(text);
  if (hole) throw new Error(`unit template has an unfilled ${hole[0]}`);
  return `${header}\n${text}`;
}
