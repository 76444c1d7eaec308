import { describe, expect, it } from 'vitest';
import { clientConfigTable } from '../../../client/config.js';
import { countOf } from '../../../server/status/format.js';
import { tableCaption } from '../../../server/status/table-view.js';
import { CLIENT_DEFAULT_COUNT, CLIENT_SPARES } from '../../../server/status/try-box.js';
import { DEFAULT_QUERY } from '../../../server/status/table-model.js';

const page = (rows: number, matching: number, offset = 0, pages = 1) => ({ rows: Array.from({ length: rows }), matching, offset, pages }) as never;

describe('the page says counts as a person would', () => {
  it.each([
    [0, '0 caches'],
    [1, '1 cache'],
    [2, '2 caches'],
    [5000, '5,000 caches'],
  ])('%d → %s', (n, text) => expect(countOf(n, 'cache')).toBe(text));

  it.each([
    ['no cache at all', page(0, 0), 0, 'No caches yet.'],
    ['one cache, one page', page(1, 1), 1, '1 cache, sorted by hostname ascending.'],
    ['all on one page', page(15, 15), 15, '15 caches, sorted by hostname ascending.'],
    ['several pages', page(50, 120, 50, 3), 120, '120 caches; showing 51–100, sorted by hostname ascending.'],
    ['one match', page(1, 1), 15, '15 caches (1 matches the filter), sorted by hostname ascending.'],
    ['many matches over pages', page(50, 52, 0, 2), 5000, '5,000 caches (52 match the filter); showing 1–50, sorted by hostname ascending.'],
    ['no match', page(0, 0), 15, '15 caches (0 match the filter).'],
  ])('captions the table: %s', (_why, p, total, text) => {
    expect(tableCaption(p, total, DEFAULT_QUERY)).toBe(text);
  });
});

describe('"Try an address" asks as shoal-client does', () => {
  it("uses the client's default --count", () => {
    expect(CLIENT_DEFAULT_COUNT).toBe(clientConfigTable.count.schema.parse(undefined));
  });

  it('asks for the same spares the client does (count + 5, client/client.ts)', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(new URL('../../../client/client.ts', import.meta.url), 'utf8');
    expect(source).toContain(`count: Math.min(100, config.count + ${CLIENT_SPARES})`);
  });
});
