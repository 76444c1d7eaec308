import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signMessage } from '../../shared/signing.js';
import { makeTempDir } from './temp.js';

/** Keyring fixtures: two sites with their own keys, one of them mid-rotation. */
export const SECRETS = {
  uvic: 'uvic-secret-0123456789abcdef',
  uvicOld: 'uvic-old-secret-0123456789',
  cern: 'cern-secret-0123456789abcdef',
};

export const KEYRING = {
  keys: {
    uvic: {
      secrets: [SECRETS.uvic, SECRETS.uvicOld],
      addresses: ['142.104.0.0/16', '10.1.0.0/16'],
      networks: ['142.104.0.0/16'],
      hostnames: ['*.uvic.ca'],
    },
    cern: { secrets: [SECRETS.cern], addresses: ['188.184.0.0/15'], hostnames: ['*.cern.ch'] },
  },
};

/** Writes the keyring fixture to a temporary file (mode 600) and returns its path. */
export async function writeKeyringFile(keyring: unknown = KEYRING): Promise<string> {
  const dir = await makeTempDir('shoal-keyring-');
  const path = join(dir, 'keyring.json');
  await writeFile(path, JSON.stringify(keyring), { mode: 0o600 });
  return path;
}

/** A heartbeat of the uvic site's agent, as our agent publishes it (unsigned). */
export function uvicHeartbeat(uuid: string, nowMs: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid,
    hostname: 'squid.uvic.ca',
    cache_port: '3128',
    cache_type: 'squid',
    verified: false,
    max_load: -1,
    upstream: 'both',
    timestamp: nowMs / 1000,
    load: 12.5,
    public_ip: '142.104.1.1',
    ...overrides,
  };
}

/** Signs `message` as the agent holding `keyId` would. */
export function signed(message: Record<string, unknown>, keyId: keyof typeof KEYRING.keys, seq: number, secret?: string): Record<string, unknown> {
  return signMessage(message, { keyId, secret: secret ?? SECRETS[keyId] }, seq);
}
