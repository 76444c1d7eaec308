import { Command, Option } from 'commander';
import { packageVersion } from './version.js';
import { ConfigError, defaultOf, envName, kebab, loadConfig, type ConfigChecks, type ConfigOf, type ConfigTable } from './config.js';
import type { ConfigNotice, OriginalConfig } from './original-config.js';

/**
 * Builds a commander program whose flags mirror a config table, with env names and defaults in --help,
 * so the table is the one place a key is declared.
 */
function commandFromTable(options: { name: string; description: string; prefix: string; table: ConfigTable; configEnv?: string; original?: OriginalConfig }): Command {
  const program = new Command(options.name).description(options.description).allowExcessArguments(false);
  program.version(packageVersion(), '-V, --version', 'print the version and exit');
  // Exit 2 for a bad command line, as for a bad setting: 1 means something else to every program
  // (the client documents it as "nothing usable"). Help and --version still exit 0.
  program.showHelpAfterError(`Usage: ${options.name} [options]  (${options.name} --help lists every option)`);
  program.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  const formats = options.original
    ? `config file: JSON (keys as below, in camelCase) when it ends in .json or starts with "{", else the original Shoal's INI file ` +
      `(sections and keys as it ships them; see docs/migration.md); default: ${options.original.path} when it exists`
    : 'JSON config file (keys as below, in camelCase)';
  program.option('-c, --config <file>', `${formats}${options.configEnv ? `; env ${options.configEnv}` : ''}`);
  for (const [key, spec] of Object.entries(options.table)) {
    const env = envName(options.prefix, key);
    const fallback = defaultOf(spec);
    const text = Array.isArray(fallback) ? fallback.join(',') : String(fallback);
    const shown = fallback === undefined ? '' : `; default ${text === '' ? '(none)' : text}`;
    const help = `${spec.help} (env ${env}${shown})`;
    if (spec.kind === 'boolean') {
      program.addOption(new Option(`--${kebab(key)}`, help));
      program.addOption(new Option(`--no-${kebab(key)}`).hideHelp());
    } else {
      program.addOption(new Option(`--${kebab(key)} <${spec.arg ?? 'value'}>`, help));
    }
  }
  return program;
}

export interface CliSpec<T extends ConfigTable> {
  name: string;
  description: string;
  prefix: string;
  table: T;
  /** Env variable that names a JSON config file. */
  configEnv?: string;
  /** Rules across settings, reported like any bad value. */
  checks?: ConfigChecks<T>;
  /** The original Shoal's INI form of the config file and its default path (`/etc/shoal/...`). */
  original?: OriginalConfig;
}

/**
 * One program's command line from its config table: `program` to add flags and help text to, and
 * `parse(argv, env)` for the frozen config (exits 2 with a clear message on a bad value).
 */
export function defineCli<T extends ConfigTable>(spec: CliSpec<T>): {
  program: Command;
  parse(argv: string[], env: NodeJS.ProcessEnv): { config: ConfigOf<T>; flags: Record<string, unknown> };
} {
  const program = commandFromTable(spec);
  return { program, parse: (argv, env) => parseCommandLine(program, { ...spec, argv, env }) };
}

/** Parses argv and env into a config; prints a clear message and exits 2 on a bad value (CLI entry points only). */
function parseCommandLine<T extends ConfigTable>(
  program: Command,
  options: { prefix: string; table: T; argv: string[]; env: NodeJS.ProcessEnv; configEnv?: string; checks?: ConfigChecks<T>; original?: OriginalConfig },
): { config: ConfigOf<T>; flags: Record<string, unknown> } {
  program.parse(options.argv);
  const flags = program.opts();
  const configFile = (flags.config as string | undefined) ?? (options.configEnv ? options.env[options.configEnv] : undefined);
  try {
    const notices: ConfigNotice[] = [];
    const input = { env: options.env, flags, configFile, defaultConfigFile: options.original?.path, onNotice: (n: ConfigNotice) => void notices.push(n) };
    let config: ConfigOf<T>;
    try {
      config = loadConfig(options.prefix, options.table, input, options.checks, options.original);
    } catch (error) {
      sayNotices(program.name(), notices, undefined);
      throw error;
    }
    sayNotices(program.name(), notices, config);
    return { config, flags };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${program.name()}: ${error.message}\nSee ${program.name()} --help.\n`);
      process.exit(2);
    }
    throw error;
  }
}

/**
 * Warnings show at every level but silent: the original files set `logging_level = ERROR`, and an operator
 * keeping one is the one to tell what it no longer does. "Reading /etc/shoal/..." shows at info or lower.
 */
const SAID_AT: Record<ConfigNotice['level'], readonly string[]> = { info: ['info', 'debug', 'trace'], warn: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] };

/**
 * What the config file did not use, said before any logger exists: plain lines on stderr, as a bad value's
 * are, by the program's log level once it is known (every warning when the config itself is bad).
 */
function sayNotices(name: string, notices: readonly ConfigNotice[], config: Record<string, unknown> | undefined): void {
  const level = typeof config?.logLevel === 'string' ? config.logLevel : 'info';
  for (const n of notices) {
    if (config === undefined ? n.level === 'warn' : SAID_AT[n.level].includes(level)) process.stderr.write(`${name}: ${n.level === 'warn' ? 'warning: ' : ''}${n.message}\n`);
  }
}
