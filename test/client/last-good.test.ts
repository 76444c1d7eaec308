import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLastGoodStore } from '../../client/last-good.js';
import { proxy } from './proxy-fixture.js';

describe('the last good list read back from disk', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-last-good-'));
    file = join(dir, 'last-good.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const saved = (proxies: unknown[]) => writeFile(file, JSON.stringify({ version: 1, savedAt: '2026-01-01T00:00:00.000Z', server: null, proxies }));

  it('keeps the valid proxies of an edited file and names each one it drops', async () => {
    await saved(['http://$(touch${IFS}x):3128', 'http://good-a.example:3128', 'http://rogue@evil.example:3128', 'http://evil\u0000\u001b:3128', 42, 'http://[2001:db8::1]:3128']);
    const { value, error, rejected } = await createLastGoodStore(file).load();
    expect(error).toBeNull();
    expect(value?.proxies).toEqual([proxy('http://good-a.example:3128'), proxy('http://[2001:db8::1]:3128')]);
    expect(rejected.map((r) => [r.source, r.member])).toEqual([
      ['last-good', 'http://$(touch${IFS}x):3128'],
      ['last-good', 'http://rogue@evil.example:3128'],
      ['last-good', 'http://evil\\u0000\\u001b:3128'],
      ['last-good', '42'],
    ]);
  });

  it('is no list at all when no proxy in it is valid', async () => {
    await saved(['http://a;DIRECT:3128', 'http://evil.example/x:3128']);
    const { value, error, rejected } = await createLastGoodStore(file).load();
    expect(value).toBeNull();
    expect(error).toMatch(/no valid proxy/);
    expect(rejected).toHaveLength(2);
  });

  it('keeps what was written into the CVMFS config, with or without a last good list', async () => {
    const store = createLastGoodStore(file);
    const cvmfsConfig = { path: '/etc/cvmfs/default.local', written: 'http://site:3128;DIRECT', siteDefault: 'http://site:3128;DIRECT' };
    await store.save({ version: 1, savedAt: '2026-01-01T00:00:00.000Z', server: null, proxies: [], cvmfsConfig });
    expect(await store.load()).toEqual({ value: null, error: null, rejected: [], written: cvmfsConfig });
  });

  it('round-trips what a run saves', async () => {
    const store = createLastGoodStore(join(dir, 'state', 'last-good.json'));
    const value = { version: 1 as const, savedAt: '2026-01-01T00:00:00.000Z', server: 'http://shoal:8080', proxies: [proxy('http://a:3128')] };
    await store.save(value);
    expect(await store.load()).toEqual({ value, error: null, rejected: [], written: null });
  });
});
