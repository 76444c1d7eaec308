import { describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../server/config.js';
import { ConfigError } from '../../shared/config.js';
import { BIN, runProgram } from '../support/processes.js';

describe('server config: rules across settings', () => {
  it('refuses a signature mode without a keyring, as a config error', () => {
    const load = (flags: Record<string, unknown>) => loadServerConfig({ env: {}, flags });
    expect(() => load({ signatureMode: 'required' })).toThrow(ConfigError);
    expect(() => load({ signatureMode: 'permissive' })).toThrow('--signature-mode permissive needs --keyring-file');
    expect(load({ signatureMode: 'required', keyringFile: '/etc/shoal/keyring.json' }).signatureMode).toBe('required');
    expect(load({}).signatureMode).toBe('off');
  });

  it('shoal-server reports it like any bad value: a message on stderr and exit code 2, before opening anything', async () => {
    const run = await runProgram(BIN.server, ['--signature-mode', 'required', '--port', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('shoal-server: invalid configuration:\n  --signature-mode required needs --keyring-file');
    expect(run.stdout).not.toContain('listening');
  });
});
