import { Command, Option } from 'commander';
import { packageVersion } from './version.js';
import { ConfigError, defaultOf, envName, kebab, loadConfig, type ConfigChecks, type ConfigOf, type ConfigTable } from './config.js';

/**
 * Builds a commander program whose flags mirror a config table, with env names and defaults in --help,
 * so the table is the one place a key is declared.
 */
function commandFromTable(options: { name: string; description: string; prefix: string; table: ConfigTable; configEnv?: string }): Command {
  const program = new Command(options.name).description(options.description).allowExcessArguments(false);
  program.version(packageVersion(), '-V, --version', 'print the version and exit');
  // Exit 2 for a bad command line, as for a bad setting: 1 means something else to every program
  // (the client documents it as "nothing usable"). Help and --version still exit 0.
  program.showHelpAfterError(`Usage: ${options.name} [options]  (${options.name} --help lists every option)`);
  program.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  program.option('-c, --config <file>', `JSON config file (keys as below, in camelCase)${options.configEnv ? `; env ${options.configEnv}` : ''}`);
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
  options: { prefix: string; table: T; argv: string[]; env: NodeJS.ProcessEnv; configEnv?: string; checks?: ConfigChecks<T> },
): { config: ConfigOf<T>; flags: Record<string, unknown> } {
  program.parse(options.argv);
  const flags = program.opts();
  const configFile = (flags.config as string | undefined) ?? (options.configEnv ? options.env[options.configEnv] : undefined);
  try {
    return { config: loadConfig(options.prefix, options.table, { env: options.env, flags, configFile }, options.checks), flags };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${program.name()}: ${error.message}\nSee ${program.name()} --help.\n`);
      process.exit(2);
    }
    throw error;
  }
}
