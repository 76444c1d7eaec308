/**
 * The original Shoal's config files, read as Python's `configparser.ConfigParser()` (its defaults) reads
 * them: `[section]` headers, `key = value` or `key: value` (the first `=` or `:` splits), whole-line `#`
 * and `;` comments, indented lines continuing the value above, keys case-insensitive, `[DEFAULT]` keys
 * seen in every section, `%(key)s` and `%%` interpolation, and a repeated section or key refused.
 */

export interface IniEntry {
  /** The value as written, before interpolation (`get` interpolates). */
  raw: string;
  line: number;
}

export interface IniFile {
  /** Sections in file order, each with its keys (lower case) in file order; `DEFAULT` included. */
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, IniEntry>>;
  /** A key's value as configparser's `get` gives it (interpolated), or undefined when absent. */
  get(section: string, key: string): string | undefined;
}

export class IniSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IniSyntaxError';
  }
}

const DEFAULT_SECTION = 'DEFAULT';
const SECTION = /^\[(.+)\]$/;
const OPTION = /^(.*?)\s*([=:])\s*(.*)$/;
const MAX_DEPTH = 10; // configparser's MAX_INTERPOLATION_DEPTH

export function parseIni(text: string): IniFile {
  const sections = new Map<string, Map<string, IniEntry>>();
  let section: Map<string, IniEntry> | null = null;
  let current: { entry: IniEntry; indent: number } | null = null;
  const fail = (line: number, what: string) => {
    throw new IniSyntaxError(`line ${line}: ${what}`);
  };
  text.split(/\r?\n/).forEach((line, i) => {
    const n = i + 1;
    const stripped = line.trim();
    // Blank lines and comments do not end a value: an indented line after them still continues it.
    if (stripped === '' || stripped.startsWith('#') || stripped.startsWith(';')) return;
    const indent = line.length - line.trimStart().length;
    if (current !== null && indent > current.indent) {
      current.entry.raw += `\n${stripped}`;
      return;
    }
    const header = SECTION.exec(stripped);
    if (header) {
      const name = header[1] as string;
      if (sections.has(name)) fail(n, `section [${name}] appears twice`);
      section = new Map();
      sections.set(name, section);
      current = null;
      return;
    }
    if (section === null) return fail(n, 'a key before any [section] header');
    const option = OPTION.exec(stripped);
    if (!option || option[1] === '') return fail(n, `not a [section], a key = value line or a comment: ${JSON.stringify(stripped.slice(0, 60))}`);
    const key = (option[1] as string).toLowerCase();
    if (section.has(key)) fail(n, `key ${key} appears twice in its section`);
    const entry = { raw: option[3] as string, line: n };
    section.set(key, entry);
    current = { entry, indent };
  });

  const lookup = (name: string, key: string): IniEntry | undefined => sections.get(name)?.get(key) ?? sections.get(DEFAULT_SECTION)?.get(key);
  const interpolate = (name: string, key: string, value: string, depth: number): string => {
    if (depth > MAX_DEPTH) throw new IniSyntaxError(`[${name}] ${key}: %(...)s references nest deeper than ${MAX_DEPTH}`);
    return value.replace(/%(%|\(([^)]+)\)s|)/g, (_match, what: string, ref: string | undefined) => {
      if (what === '%') return '%';
      const target = ref === undefined ? undefined : lookup(name, ref.toLowerCase());
      if (ref === undefined || target === undefined) {
        const problem = ref === undefined ? "a lone '%' (write %% for a percent sign)" : `%(${ref})s names no key of [${name}]`;
        throw new IniSyntaxError(`line ${lookup(name, key)?.line ?? '?'}: [${name}] ${key}: ${problem}`);
      }
      return interpolate(name, ref.toLowerCase(), target.raw, depth + 1);
    });
  };

  return {
    sections,
    get(name, key) {
      const entry = lookup(name, key.toLowerCase());
      return entry === undefined ? undefined : interpolate(name, key.toLowerCase(), entry.raw, 1);
    },
  };
}
