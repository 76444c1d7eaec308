import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { agentOriginalConfig } from '../../agent/config.js';
import { clientOriginalConfig } from '../../client/config.js';
import { serverOriginalConfig } from '../../server/config.js';

const doc = readFileSync(new URL('../../docs/migration.md', import.meta.url), 'utf8');
const FIXTURES = new URL('../fixtures/original-conf/', import.meta.url);

/** `file [section] key` of every row of the docs' key table. */
const documented = new Set(
  [...doc.matchAll(/^\| (shoal_\w+\.conf) \| `\[(\w+)\]` \| `(\w+)` \| .+ \|$/gm)].map((m) => `${m[1]} [${m[2]}] ${m[3]}`),
);

/** Every key of an original file, set (`key = v`, `key: v`) or shipped commented out (`#key = v`), with its section. */
function keysOf(text: string): { section: string; key: string }[] {
  const keys: { section: string; key: string }[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\[(\w+)\]/.exec(line);
    if (header) section = header[1] as string;
    const key = /^(\w+)\s*[=:]/.exec(line) ?? /^#\s*(\w+)\s*=/.exec(line);
    if (key) keys.push({ section, key: (key[1] as string).toLowerCase() });
  }
  return keys;
}

describe('docs/migration.md', () => {
  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.conf'));

  it.each(fixtures)('lists every key found in %s', (name) => {
    const file = `${/^shoal_(server|agent|client)/.exec(name)?.[0]}.conf`;
    const keys = keysOf(readFileSync(new URL(name, FIXTURES), 'utf8'));
    expect(keys.length).toBeGreaterThan(0);
    for (const { section, key } of keys) expect(documented, `${file} [${section}] ${key}`).toContain(`${file} [${section}] ${key}`);
  });

  it.each([
    ['shoal_server.conf', serverOriginalConfig],
    ['shoal_agent.conf', agentOriginalConfig],
    ['shoal_client.conf', clientOriginalConfig],
  ] as const)('lists every key %s is read with, and no other', (file, original) => {
    const known = original.keys.map((k) => `${file} [${k.section}] ${k.key}`);
    for (const key of known) expect(documented, key).toContain(key);
    expect([...documented].filter((d) => d.startsWith(file)).sort()).toEqual([...known].sort());
  });

  it('names the verification interval that differs from the original', () => {
    expect(doc).toMatch(/verification interval \| 3600 s .* \| 60 s/);
  });
});
