import { readFileSync } from 'node:fs';
import { z } from 'zod';

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
  /** Path of a JSON config file, if one was given. */
  configFile?: string | undefined;
}

/** Builds the frozen config, or throws a ConfigError naming every bad key, where it came from and what was expected. */
/** Rules across settings (e.g. one needs another); each broken rule is one message naming the flags. */
export type ConfigChecks<T extends ConfigTable> = (config: ConfigOf<T>) => string[];

export function loadConfig<T extends ConfigTable>(prefix: string, table: T, input: ConfigInput, checks?: ConfigChecks<T>): ConfigOf<T> {
  const sources = new Map<string, Source>();
  if (input.configFile) {
    for (const [key, value] of Object.entries(readConfigFile(input.configFile, table))) sources.set(key, { value, from: `${input.configFile}: ${key}` });
  }
  for (const key of Object.keys(table)) {
    const name = envName(prefix, key);
    const value = input.env[name];
    if (value !== undefined && value !== '') sources.set(key, { value, from: name });
  }
  for (const [key, value] of Object.entries(input.flags)) {
    if (value !== undefined && key in table) sources.set(key, { value, from: `--${kebab(key)}` });
  }

  const result: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(table)) {
    const source = sources.get(key);
    const parsed = spec.schema.safeParse(source?.value);
    if (parsed.success) {
      result[key] = parsed.data;
    } else {
      const where = source ? source.from : `${kebab(key)} (default)`;
      const got = source && !spec.secret ? ` (got ${JSON.stringify(source.value)})` : '';
      problems.push(`  ${where}: ${parsed.error.issues.map((i) => i.message).join('; ')}${got}`);
    }
  }
  if (problems.length === 0 && checks) problems.push(...checks(result as ConfigOf<T>).map((p) => `  ${p}`));
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  return Object.freeze(result) as ConfigOf<T>;
}

function readConfigFile(path: string, table: ConfigTable): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
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
  return data as Record<string, unknown>;
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

/** A URL with its password replaced by `***` (anything else unchanged), for logs and printed output. */
export function redactUrl(value: unknown): unknown {
  if (typeof value !== 'string' || !/^[a-z]+s?:\/\/[^/]*@/.test(value)) return value;
  return value.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}
