import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { amqpTlsSocketOptions } from '../../shared/amqp-tls.js';
import { ConfigError } from '../../shared/config.js';

describe('amqpTlsSocketOptions', () => {
  it('gives nothing when no certificate is configured (plain amqp:// or the system CAs)', () => {
    expect(amqpTlsSocketOptions({ caCert: '', clientCert: '', clientKey: '' })).toBeUndefined();
  });

  it('reads the CA, client certificate and key into amqplib socket options', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-tls-'));
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(dir, name), `-----BEGIN ${name}-----\n`);
    const options = amqpTlsSocketOptions({ caCert: join(dir, 'ca.pem'), clientCert: join(dir, 'cert.pem'), clientKey: join(dir, 'key.pem') });
    expect(String((options?.ca as Buffer[])[0])).toBe('-----BEGIN ca.pem-----\n');
    expect(String(options?.cert)).toBe('-----BEGIN cert.pem-----\n');
    expect(String(options?.key)).toBe('-----BEGIN key.pem-----\n');
  });

  it('names the file it cannot read', () => {
    expect(() => amqpTlsSocketOptions({ caCert: '/nonexistent/ca.pem', clientCert: '', clientKey: '' })).toThrow(/cannot read CA certificate \/nonexistent\/ca.pem/);
  });

  it('refuses a client certificate without its key', () => {
    expect(() => amqpTlsSocketOptions({ caCert: '', clientCert: '/etc/cert.pem', clientKey: '' })).toThrow(ConfigError);
  });
});
