import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../support/server.js';
import { KEYRING, SECRETS, signed, uvicHeartbeat, writeKeyringFile } from '../../support/security.js';

describe('keyring at run time', () => {
  it('refuses to start a signed mode without a keyring, or with a bad one', async () => {
    await expect(startTestServer({ amqp: false, flags: { signatureMode: 'required' } })).rejects.toThrow('--keyring-file');
    const bad = await writeKeyringFile({ keys: { uvic: { secrets: ['short'] } } });
    await expect(startTestServer({ amqp: false, flags: { signatureMode: 'permissive', keyringFile: bad } })).rejects.toThrow(/keyring/);
  });

  it('takes a rotated key on reload, and keeps the old keys when the new file is bad', async () => {
    const path = await writeKeyringFile();
    const server = await startTestServer({ amqp: false, flags: { signatureMode: 'required', keyringFile: path } });
    try {
      const newSecret = 'the-new-uvic-secret-0123456789';
      const beat = (uuid: string, secret: string, seq: number) =>
        server.ingest.handle(JSON.stringify(signed(uvicHeartbeat(uuid, server.clock.now()), 'uvic', seq, secret)));
      expect((await beat('r1', newSecret, 1)).ok).toBe(false);

      await writeFile(path, JSON.stringify({ keys: { ...KEYRING.keys, uvic: { ...KEYRING.keys.uvic, secrets: [newSecret] } } }));
      server.reloadKeyring();
      expect((await beat('r1', newSecret, 2)).ok).toBe(true);
      expect((await beat('r2', SECRETS.uvic, 1)).ok).toBe(false); // the old secret is gone

      await writeFile(path, '{ broken');
      expect(() => server.reloadKeyring()).toThrow(/not valid JSON/);
      expect((await beat('r1', newSecret, 3)).ok).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
