import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { IniSyntaxError } from './ini.js';
import { readOriginalConfig, type ConfigNotice, type OriginalConfig, type OriginalProblem } from './original-config.js';

/**
 * One table of config keys per program drives everything: the zod schema, the `SHOAL_*` env names,
 * the command-line flags and the `--help` text. Precedence: defaults < config file < env < flags.
 */
export interface ConfigKey {
  schema: z.ZodType;
  help: string;
  /** `boolean` keys get `--flag` / `--no-flag`; `list` keys take comma-separated values. */
  kind?: 'value' | 'boolean' | 'list';
  /** Placeholder in --help, e.g. `<seconds>`. */
  arg?: string;
  /** Hide the value of this key in logs (`redactedConfig`). */
  secret?: boolean;
}

export type ConfigTable = Record<string, ConfigKey>;

export type ConfigOf<T extends ConfigTable> = { readonly [K in keyof T]: z.output<T[K]['schema']> };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function envName(prefix: string, key: string): string {
  return `${prefix}${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Env and flag values arrive as text; these accept both text and the real type (config files). */
export const booleanFromText = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
    .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on'),
]);

export function listFromText<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s.length > 0)
        : v,
    z.array(item),
  );
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Numbers from env, flags or a file, with a message an operator can act on. Only plain decimal text
 * counts: `z.coerce` alone would read '' as 0 and '0x10' as 16.
 */
function numberInRange(min: number, max: number, whole: boolean) {
  const message = `must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`;
  return z
    .union([z.number(), z.string().trim().regex(DECIMAL, message).transform(Number)], { error: message })
    .refine((n) => Number.isFinite(n) && n >= min && n <= max && (!whole || Number.isInteger(n)), message);
}

export const intFromText = (min: number, max: number) => numberInRange(min, max, true);
export const numberFromText = (min: number, max: number) => numberInRange(min, max, false);

interface Source {
  value: unknown;
  from: string;
}

export interface ConfigInput {
  env: NodeJS.ProcessEnv;
  /** Values from the command line, by key (already mapped from flags). */
  flags: Record<string, unknown>;
  /** Path of a config file, if one was given: JSON, or the original Shoal's INI (see `isJsonConfig`). */
  configFile?: string | undefined;
  /**
   * The original Shoal's INI file, read when no `configFile` is given and it exists: the programs pass
   * `/etc/shoal/...` (their `OriginalConfig.path`), tests a path of their own; absent: none is looked for.
   */
  defaultConfigFile?: string | undefined;
  /** Told which file was read (info) and of each key of it that is ignored (warn, once each). */
  onNotice?: ((notice: ConfigNotice) => void) | undefined;
}

/** Rules across settings (e.g. one needs another); each broken rule is one message naming the flags. */
export type ConfigChecks<T extends ConfigTable> = (config: ConfigOf<T>) => string[];

/**
 * Builds the frozen config, or throws a ConfigError naming every bad key, where it came from and what was
 * expected. `original`: the program's mapping of the original Shoal's INI keys, so `--config` (or its default path)
 * may be such a file; without it only JSON is read.
 */
export function loadConfig<T extends ConfigTable>(prefix: string, table: T, input: ConfigInput, checks?: ConfigChecks<T>, original?: OriginalConfig): ConfigOf<T> {
  const sources = new Map<string, Source>();
  let fileProblems: OriginalProblem[] = [];
  const fallback = !input.configFile && input.defaultConfigFile && existsSync(input.defaultConfigFile) ? input.defaultConfigFile : undefined;
  const file = input.configFile || fallback;
  if (file) {
    if (fallback) input.onNotice?.({ level: 'info', message: `reading ${fallback}, the original Shoal's config file (no --config given)` });
    const read = readConfigFile(file, table, original);
    for (const [key, source] of read.sources) sources.set(key, source);
    fileProblems = read.problems;
    for (const notice of read.notices) input.onNotice?.(notice);
  }
  for (const key of Object.keys(table)) {
    const name = envName(prefix, key);
    const value = input.env[name];
    if (value !== undefined && value !== '') sources.set(key, { value, from: name });
  }
  for (const [key, value] of Object.entries(input.flags)) {
    if (value !== undefined && key in table) sources.set(key, { value, from: `--${kebab(key)}` });
  }

  // A bad value of the file counts unless the env or a flag sets that setting anyway (as for JSON files).
  const problems = fileProblems.filter((p) => sources.get(p.setting)?.from.startsWith(file as string) ?? true).map((p) => `  ${p.message}`);
  const result: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const source = sources.get(key);
    const parsed = spec.schema.safeParse(source?.value);
    if (parsed.success) {
      result[key] = parsed.data;
    } else {
      const where = source ? source.from : `${kebab(key)} (default)`;
      const got = source && !spec.secret ? ` (got ${JSON.stringify(redactUrl(source.value))})` : '';
      problems.push(`  ${where}: ${parsed.error.issues.map((i) => i.message).join('; ')}${got}`);
    }
  }
  if (problems.length === 0 && checks) problems.push(...checks(result as ConfigOf<T>).map((p) => `  ${p}`));
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  return Object.freeze(result) as ConfigOf<T>;
}

/**
 * How `--config` tells the formats apart: a name ending in `.json`, or (unless it ends in `.conf`, `.ini`
 * or `.cfg`) text whose first character is `{`, is JSON; anything else is the original's INI format.
 */
export function isJsonConfig(path: string, text: string): boolean {
  if (/\.json$/i.test(path)) return true;
  if (/\.(conf|ini|cfg)$/i.test(path)) return false;
  return text.trimStart().startsWith('{');
}

function readConfigFile(path: string, table: ConfigTable, original: OriginalConfig | undefined): { sources: Map<string, Source>; problems: OriginalProblem[]; notices: ConfigNotice[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  if (!isJsonConfig(path, text)) {
    if (!original) throw new ConfigError(`config file ${path} is not JSON (it neither ends in .json nor starts with "{"), and this program reads no other format`);
    try {
      const read = readOriginalConfig(path, text, original);
      return { sources: new Map([...read.values].filter(([key]) => key in table)), problems: read.problems, notices: read.notices };
    } catch (error) {
      if (error instanceof IniSyntaxError) throw new ConfigError(`config file ${path} is not an INI file as the original Shoal reads them: ${error.message}`);
      throw error;
    }
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ConfigError(`config file ${path} must hold a JSON object`);
  const unknown = Object.keys(data).filter((k) => !(k in table));
  if (unknown.length > 0) {
    throw new ConfigError(`config file ${path}: unknown key(s) ${unknown.join(', ')}; known keys: ${Object.keys(table).join(', ')}`);
  }
  return { sources: new Map(Object.entries(data).map(([key, value]) => [key, { value, from: `${path}: ${key}` }])), problems: [], notices: [] };
}

/** The default of a key, for --help; undefined when the key has none. */
export function defaultOf(spec: ConfigKey): unknown {
  const parsed = spec.schema.safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

/** The config with secrets replaced, for the start-up log line. */
export function redactedConfig<T extends ConfigTable>(table: T, config: ConfigOf<T>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(table)) {
    const value = (config as Record<string, unknown>)[key];
    out[key] = table[key]?.secret && value ? '(set)' : redactUrl(value);
  }
  return out;
}

/**
 * A URL with its password replaced by `***` (anything else unchanged), for logs and printed output; in a
 * comma-separated list of URLs (`--amqp-url`) every one, and in any scheme (`redis+sentinel://`).
 */
export function redactUrl(value: unknown): unknown {
  if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\//.test(value)) return value;
  return value.replace(/\/\/([^:/@,]*):[^@/]*@/g, '//$1:***@');
}
