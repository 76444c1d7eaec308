import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { parseIni, type IniFile } from './ini.js';

/**
 * The original Shoal's INI files (`/etc/shoal/shoal_server.conf`, ...) as settings of ours. Each program
 * lists every key the original ships or reads, and what it became; the values then go through the
 * program's own config table, as a JSON file's do, so a bad one is named by file, section and key.
 */

/** One key of an original file. */
export interface OriginalKey {
  section: string;
  key: string;
  /** The setting the value feeds, checked by that setting's schema. */
  setting?: string;
  /** Turns the original's text into what the setting's schema reads (e.g. `ERROR` → `error`). */
  convert?: (value: string) => unknown;
  /** Why the key is not used: warned once, by name, when the file has it. */
  ignored?: string;
  /** Read together with other keys by `combine` (e.g. the parts of the AMQP URL). */
  combined?: true;
}

/** A setting's value from the file, and the file, section and key(s) it came from. */
export interface OriginalValue {
  value: unknown;
  from: string;
}

/** A bad value of the file, and the setting it was for (no problem when the env or a flag sets that setting). */
export interface OriginalProblem {
  setting: string;
  message: string;
}

export interface CombineResult {
  values: Record<string, OriginalValue>;
  problems: OriginalProblem[];
  /** Keys present but not used after all (e.g. an older key a newer one overrides), with why. */
  ignored?: { section: string; key: string; why: string }[];
}

/** Reads keys of one file; `where` names one or more keys for messages. */
export interface OriginalReader {
  get(section: string, key: string): string | undefined;
  where(section: string, ...keys: string[]): string;
}

export interface OriginalConfig {
  /** Where the original program reads it; read when no config file is given and it exists. */
  path: string;
  keys: readonly OriginalKey[];
  /** Settings built from several keys. */
  combine?: (file: OriginalReader) => CombineResult;
}

export interface ConfigNotice {
  level: 'info' | 'warn';
  message: string;
}

/** The file's settings (by table key), problems found while combining keys, and a warning per ignored key. */
export function readOriginalConfig(path: string, text: string, original: OriginalConfig): { values: Map<string, OriginalValue>; problems: OriginalProblem[]; notices: ConfigNotice[] } {
  const ini: IniFile = parseIni(text);
  const reader: OriginalReader = {
    get: (section, key) => ini.get(section, key)?.trim(),
    where: (section, ...keys) => `${path} [${section}] ${keys.join(', ')}`,
  };
  const values = new Map<string, OriginalValue>();
  const notices: ConfigNotice[] = [];
  const warn = (section: string, key: string, why: string) => notices.push({ level: 'warn', message: `${reader.where(section, key)} is ignored: ${why}` });
  const combined = original.combine?.(reader) ?? { values: {}, problems: [] };

  for (const [section, keys] of ini.sections) {
    for (const key of keys.keys()) {
      const rule = original.keys.find((k) => k.key === key && (k.section === section || section === 'DEFAULT'));
      if (rule === undefined) warn(section, key, `the original reads no such key in [${section}]`);
      else if (rule.ignored !== undefined) warn(section, key, rule.ignored);
    }
  }
  for (const rule of original.keys) {
    const raw = rule.setting === undefined ? undefined : reader.get(rule.section, rule.key);
    if (raw !== undefined) values.set(rule.setting as string, { value: rule.convert ? rule.convert(raw) : raw, from: reader.where(rule.section, rule.key) });
  }
  for (const i of combined.ignored ?? []) warn(i.section, i.key, i.why);
  for (const [setting, value] of Object.entries(combined.values)) values.set(setting, value);
  return { values, problems: combined.problems, notices };
}

const LOG_LEVELS: Record<string, string> = { debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'fatal', fatal: 'fatal' };

/** Python's level names (`DEBUG` ... `CRITICAL`) as ours; anything else goes to the schema as written, to be refused there. */
export const originalLogLevel = (value: string): string => LOG_LEVELS[value.toLowerCase()] ?? value;

/** configparser's `getboolean` words. */
function originalBoolean(value: string | undefined): boolean | null {
  if (value === undefined) return false;
  const v = value.toLowerCase();
  if (['1', 'yes', 'true', 'on'].includes(v)) return true;
  if (['0', 'no', 'false', 'off'].includes(v)) return false;
  return null;
}

/** `~/x` as the operator meant it (Python's abspath would have made it `<cwd>/~/x`). */
const expandHome = (path: string): string => (path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path);

export const RABBITMQ_URL_KEYS = ['amqp_server_url', 'amqp_port', 'use_ssl', 'use_credentials', 'amqp_username', 'amqp_password'] as const;
export const RABBITMQ_TLS_KEYS = { amqp_ca_cert: 'amqpCaFile', amqp_client_cert: 'amqpCertFile', amqp_client_key: 'amqpKeyFile' } as const;

/** The `[rabbitmq]` keys the server and the agent share, as rules (the broker's read by `combineRabbitmq`). */
export const rabbitmqKeys: OriginalKey[] = [
  ...[...RABBITMQ_URL_KEYS, 'amqp_virtual_host', ...Object.keys(RABBITMQ_TLS_KEYS), 'amqp_exchange_type'].map((key) => ({ section: 'rabbitmq', key, combined: true as const })),
  { section: 'rabbitmq', key: 'amqp_exchange', setting: 'exchange' },
];

/** `[logging] logging_level`, the server's and the agent's. */
export const loggingLevelKey: OriginalKey = { section: 'logging', key: 'logging_level', setting: 'logLevel', convert: originalLogLevel };

/**
 * `amqp_server_url` (a host, as the original hands it to pika), `amqp_port`, `use_ssl` and
 * `use_credentials` with `amqp_username`/`amqp_password` as one AMQP URL; with `use_ssl`, the
 * certificate keys as our TLS files. Without credentials the URL has none, and the broker sees guest, as
 * pika's default was.
 */
export function combineRabbitmq(file: OriginalReader): CombineResult {
  const s = 'rabbitmq';
  const values: Record<string, OriginalValue> = {};
  const problems: OriginalProblem[] = [];
  const problem = (setting: string, message: string) => problems.push({ setting, message });
  const flag = (key: string) => {
    const parsed = originalBoolean(file.get(s, key));
    if (parsed === null) problem('amqpUrl', `${file.where(s, key)}: must be True or False (got ${JSON.stringify(file.get(s, key))})`);
    return parsed === true;
  };
  const ssl = flag('use_ssl');
  const credentials = flag('use_credentials');

  const host = file.get(s, 'amqp_server_url') ?? 'localhost';
  const hostOk = isIP(host) !== 0 || /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host);
  if (!hostOk) problem('amqpUrl', `${file.where(s, 'amqp_server_url')}: must be the broker's host name or address, as the original hands it to pika (got ${JSON.stringify(host)})`);
  const port = file.get(s, 'amqp_port') ?? '5672';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) problem('amqpUrl', `${file.where(s, 'amqp_port')}: must be a whole number from 1 to 65535 (got ${JSON.stringify(port)})`);
  // The original read amqp_virtual_host and never passed it to pika: it always used vhost /, as this does.
  const vhost = file.get(s, 'amqp_virtual_host');
  const ignored = vhost !== undefined && vhost !== '/' ? [{ section: s, key: 'amqp_virtual_host', why: `the original never used it (it connects to vhost /); for vhost ${vhost} give --amqp-url amqp://host:port/${encodeURIComponent(vhost)}` }] : [];
  let userinfo = '';
  if (credentials) {
    const user = file.get(s, 'amqp_username');
    const password = file.get(s, 'amqp_password');
    if (user === undefined || password === undefined) problem('amqpUrl', `${file.where(s, 'use_credentials')}: is True, so amqp_username and amqp_password are needed`);
    userinfo = `${encodeURIComponent(user ?? '')}:${encodeURIComponent(password ?? '')}@`;
  }
  const type = file.get(s, 'amqp_exchange_type');
  if (type !== undefined && type.toLowerCase() !== 'topic') {
    problem('exchange', `${file.where(s, 'amqp_exchange_type')}: must be topic, the type agents and servers declare (got ${JSON.stringify(type)})`);
  }
  const present = RABBITMQ_URL_KEYS.filter((k) => file.get(s, k) !== undefined);
  if (present.length > 0) {
    const hostPart = isIP(host) === 6 ? `[${host}]` : host;
    values.amqpUrl = {
      value: `${ssl ? 'amqps' : 'amqp'}://${userinfo}${hostPart}:${port}`,
      from: file.where(s, ...present),
    };
  }
  if (ssl) {
    for (const [key, setting] of Object.entries(RABBITMQ_TLS_KEYS)) {
      const path = file.get(s, key);
      if (path !== undefined && path !== '') values[setting] = { value: expandHome(path), from: file.where(s, key) };
    }
  }
  return { values, problems, ignored };
}
