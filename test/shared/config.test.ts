import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, intFromText, loadConfig, numberFromText, redactedConfig } from '../../shared/config.js';
import { makeTempDir } from '../support/temp.js';

const table = {
  port: { schema: intFromText(1, 65535).default(8080), help: 'port' },
  weight: { schema: numberFromText(0, 1).default(0.5), help: 'weight' },
  token: { schema: z.string().default(''), help: 'token', secret: true },
};

const load = (input: { env?: NodeJS.ProcessEnv; flags?: Record<string, unknown>; configFile?: string }) =>
  loadConfig('T_', table, { env: input.env ?? {}, flags: input.flags ?? {}, configFile: input.configFile });

describe('loadConfig', () => {
  it('takes defaults, then the file, then env, then flags', async () => {
    const dir = await makeTempDir('shoal-config-');
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ port: 1000, weight: 0.1 }));
    expect(load({})).toMatchObject({ port: 8080, weight: 0.5 });
    expect(load({ configFile: file })).toMatchObject({ port: 1000, weight: 0.1 });
    expect(load({ configFile: file, env: { T_PORT: '2000' } })).toMatchObject({ port: 2000, weight: 0.1 });
    expect(load({ configFile: file, env: { T_PORT: '2000' }, flags: { port: '3000' } })).toMatchObject({ port: 3000 });
  });

  it.each([
    ['a word', { T_PORT: 'abc' }, 'T_PORT: must be a whole number from 1 to 65535 (got "abc")'],
    ['hex, which plain coercion would read as 16', { T_PORT: '0x10' }, 'T_PORT: must be a whole number from 1 to 65535'],
    ['a fraction for a whole number', { T_PORT: '80.5' }, 'T_PORT: must be a whole number from 1 to 65535'],
    ['a number out of range', { T_WEIGHT: '1.5' }, 'T_WEIGHT: must be a number from 0 to 1 (got "1.5")'],
  ])('rejects %s, naming the setting and what was expected', (_what, env, message) => {
    expect(() => load({ env })).toThrow(ConfigError);
    expect(() => load({ env })).toThrow(message);
  });

  it('names every bad setting at once', () => {
    expect(() => load({ env: { T_PORT: 'x', T_WEIGHT: 'y' } })).toThrow(/T_PORT[\s\S]*T_WEIGHT/);
  });

  it('refuses unknown keys in a config file, listing the known ones', async () => {
    const dir = await makeTempDir('shoal-config-');
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ prot: 1 }));
    expect(() => load({ configFile: file })).toThrow(/unknown key\(s\) prot; known keys: port, weight, token/);
  });

  it('keeps secrets and URL passwords out of the start-up log', () => {
    const config = load({ env: { T_TOKEN: 'very-secret-token' } });
    expect(redactedConfig(table, config)).toMatchObject({ token: '(set)' });
    expect(JSON.stringify(redactedConfig(table, config))).not.toContain('very-secret-token');
  });
});
