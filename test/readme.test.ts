import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { agentConfigTable, AGENT_CONFIG_ENV, AGENT_ENV_PREFIX } from '../agent/config.js';
import { clientConfigTable, CLIENT_CONFIG_ENV, CLIENT_ENV_PREFIX } from '../client/config.js';
import { demoConfigTable, DEMO_CONFIG_ENV, DEMO_ENV_PREFIX } from '../demo/config.js';
import { serverConfigTable, SERVER_CONFIG_ENV, SERVER_ENV_PREFIX } from '../server/config.js';
import { envName, kebab, type ConfigTable } from '../shared/config.js';

// README.md is what a user reads first; docs/ holds the rest. These checks keep both in step with the code
// and with each other: every setting in the reference, every link landing on a heading that exists.

const root = new URL('../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const readme = read('README.md');
const configuration = read('docs/configuration.md');
const api = read('docs/api.md');
const docFiles = readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md')).sort();
const documents: Record<string, string> = {
  'README.md': readme,
  ...Object.fromEntries(docFiles.map((f) => [`docs/${f}`, read(`docs/${f}`)])),
};

const PROGRAMS = [
  ['shoal-server', SERVER_ENV_PREFIX, SERVER_CONFIG_ENV, serverConfigTable],
  ['shoal-agent', AGENT_ENV_PREFIX, AGENT_CONFIG_ENV, agentConfigTable],
  ['shoal-client', CLIENT_ENV_PREFIX, CLIENT_CONFIG_ENV, clientConfigTable],
  ['shoal-demo', DEMO_ENV_PREFIX, DEMO_CONFIG_ENV, demoConfigTable],
] as const satisfies readonly (readonly [string, string, string, ConfigTable])[];

/** Lines outside ``` fences. */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (line.startsWith('```')) fenced = !fenced;
    return !fenced && !line.startsWith('```');
  });
}

/** The lines under `title` (a heading or a bold line), up to the next heading or bold line. */
function section(markdown: string, title: string): string[] {
  const lines = proseLines(markdown);
  const start = lines.indexOf(title);
  if (start === -1) return [];
  const end = lines.findIndex((l, i) => i > start && (l.startsWith('#') || /^\*\*[^*]+\*\*$/.test(l)));
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/** Table rows as cells (`\|` inside a cell is not a separator). */
function tableRows(lines: readonly string[]): string[][] {
  return lines
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .map((l) => l.replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim()));
}

interface SettingRow {
  cells: string[];
  flags: string[];
  envs: string[];
}

/** Rows of a settings table (`| flag | env | default | meaning |`): the flags and env names each names. */
function settingRows(lines: readonly string[]): SettingRow[] {
  return tableRows(lines)
    .filter((cells) => (cells[0] ?? '').startsWith('`--'))
    .map((cells) => ({
      cells,
      flags: [...(cells[0] ?? '').matchAll(/`--([a-z0-9-]+)`/g)].map((m) => m[1] as string),
      envs: [...(cells[1] ?? '').matchAll(/SHOAL_[A-Z0-9_]+/g)].map((m) => m[0]),
    }));
}

/** The flag a table names, as the key it sets (`--no-verify` sets `verify`). */
function keyOfFlag(table: ConfigTable, flag: string): string | undefined {
  const keys = Object.keys(table);
  return keys.find((k) => kebab(k) === flag) ?? keys.find((k) => `no-${kebab(k)}` === flag && table[k]?.kind === 'boolean');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
function anchors(markdown: string): Set<string> {
  return new Set(
    proseLines(markdown)
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) =>
        l
          .replace(/^#+ /, '')
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, '')
          .replace(/\s/g, '-'),
      ),
  );
}

/** Relative links of a document (`[text](target)`), outside code. */
function relativeLinks(markdown: string): string[] {
  const text = proseLines(markdown).join('\n').replace(/`[^`]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string).filter((t) => !/^[a-z]+:/.test(t));
}

/** Where a link from `from` (a path under the root) lands: the file and the anchor. */
function resolveLink(from: string, target: string): { file: string; anchor: string } {
  const [path = '', anchor = ''] = target.split('#');
  const base = new URL(from, root);
  const file = path === '' ? from : new URL(path, base).pathname.slice(new URL(root).pathname.length);
  return { file, anchor };
}

/** Route paths named in the first column of a routes table (`GET /x`, `/y`), method dropped. */
function routePaths(lines: readonly string[]): string[] {
  return tableRows(lines).flatMap((cells) =>
    [...(cells[0] ?? '').matchAll(/`([^`]+)`/g)].map((m) => (m[1] as string).replace(/^(GET|POST|DELETE) /, '')).filter((p) => p.startsWith('/')),
  );
}

/** `/api/v1/admin/...` in the README stands for every route under that path. */
const covers = (summary: string, path: string): boolean => (summary.endsWith('...') ? path.startsWith(summary.slice(0, -3)) : summary === path);

describe('docs/configuration.md', () => {
  it.each(PROGRAMS)('documents every %s setting in its table, with its flag and env name on one row', (program, prefix, _configEnv, table) => {
    const rows = settingRows(section(configuration, `## ${program}`));
    expect(rows.length, `docs/configuration.md has no settings table under "## ${program}"`).toBeGreaterThan(0);
    for (const key of Object.keys(table)) {
      const row = rows.find((r) => r.flags.includes(kebab(key)));
      expect(row, `docs/configuration.md (${program}) lacks --${kebab(key)}`).toBeDefined();
      expect(row?.envs, `docs/configuration.md (${program}): --${kebab(key)} lacks ${envName(prefix, key)}`).toContain(envName(prefix, key));
    }
  });

  it.each(PROGRAMS)('lists only %s settings that exist', (program, prefix, _configEnv, table) => {
    for (const row of settingRows(section(configuration, `## ${program}`))) {
      for (const flag of row.flags) expect(keyOfFlag(table, flag), `docs/configuration.md (${program}): no setting --${flag}`).toBeDefined();
      const known = Object.keys(table).map((k) => envName(prefix, k));
      for (const env of row.envs) expect(known, `docs/configuration.md (${program}): no setting ${env}`).toContain(env);
    }
  });

  it.each(PROGRAMS)('says which variable names the %s config file', (program, _prefix, configEnv) => {
    expect(section(configuration, `## ${program}`).join('\n')).toContain(`\`${configEnv}\``);
  });
});

describe('README.md', () => {
  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });

  it('gives the one demo command, and package.json has it', () => {
    expect(readme).toContain('npm run demo');
    expect(JSON.parse(read('package.json')).scripts.demo).toBe('node dist/demo/main.js');
  });

  it.each(PROGRAMS)('gives the most used %s settings as docs/configuration.md has them', (program) => {
    const reference = settingRows(section(configuration, `## ${program}`));
    const rows = settingRows(section(readme, `**${program}**`));
    expect(rows.length, `README lacks a settings table under "**${program}**"`).toBeGreaterThan(0);
    for (const row of rows) {
      const full = reference.find((r) => r.cells[0] === row.cells[0]);
      expect(full, `README (${program}): ${row.cells[0]} is not in docs/configuration.md`).toBeDefined();
      expect(row.cells.slice(0, 3), `README (${program}): ${row.cells[0]} differs from docs/configuration.md`).toEqual(full?.cells.slice(0, 3));
    }
  });

  it('links to docs files that exist, and to every one of them', () => {
    const linked = new Set(relativeLinks(readme).map((t) => resolveLink('README.md', t).file).filter((f) => f.startsWith('docs/')));
    for (const file of linked) expect(existsSync(new URL(file, root)), `README links to ${file}, which does not exist`).toBe(true);
    for (const file of docFiles) expect(linked, `README does not link to docs/${file}`).toContain(`docs/${file}`);
  });

  it('summarises every route of docs/api.md, and only those', () => {
    const summary = routePaths(section(readme, '## HTTP routes'));
    const full = routePaths(section(api, '## Routes'));
    expect(summary.length).toBeGreaterThan(0);
    for (const path of full) expect(summary.some((s) => covers(s, path)), `README's routes table lacks ${path}`).toBe(true);
    for (const s of summary) expect(full.some((path) => covers(s, path)), `docs/api.md does not describe ${s}`).toBe(true);
  });
});

/** Top-level folders of this repository: a backticked `agent/...` in a document names a file of ours. */
const REPO_FOLDERS = ['.ci', 'agent', 'bench', 'client', 'demo', 'docs', 'server', 'shared', 'systemd', 'test'];

/** Repository paths a document names in backticks (`agent/main.ts`, `test/support/`), placeholders left out. */
function repositoryPaths(markdown: string): string[] {
  return [...markdown.matchAll(/`([.\w-]+\/[\w./-]*)`/g)]
    .map((m) => m[1] as string)
    .filter((p) => REPO_FOLDERS.includes(p.split('/')[0] as string));
}

describe('README.md and docs/', () => {
  it.each(Object.keys(documents))('%s names only repository files that exist', (from) => {
    for (const path of repositoryPaths(documents[from] as string)) {
      expect(existsSync(new URL(path, root)), `${from} names ${path}, which does not exist`).toBe(true);
    }
  });

  it.each(Object.keys(documents))('%s links only to files and headings that exist', (from) => {
    for (const target of relativeLinks(documents[from] as string)) {
      const { file, anchor } = resolveLink(from, target);
      expect(existsSync(new URL(file, root)), `${from}: ${target} names a file that does not exist`).toBe(true);
      if (anchor === '' || !file.endsWith('.md')) continue;
      expect(anchors(documents[file] ?? read(file)), `${from}: ${target} names a heading that does not exist`).toContain(anchor);
    }
  });
});
