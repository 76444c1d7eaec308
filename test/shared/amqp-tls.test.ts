import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { amqpSocketOptions, amqpTlsSocketOptions } from '../../shared/amqp-tls.js';
import { ConfigError } from '../../shared/config.js';
import { makeTempDir } from '../support/temp.js';

describe('amqpTlsSocketOptions', () => {
  it('gives nothing when no certificate is configured (plain amqp:// or the system CAs)', () => {
    expect(amqpTlsSocketOptions({ caCert: '', clientCert: '', clientKey: '' })).toBeUndefined();
  });

  it('reads the CA, client certificate and key into amqplib socket options', async () => {
    const dir = await makeTempDir('shoal-tls-');
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

describe('amqpSocketOptions (the amqpCaFile/amqpCertFile/amqpKeyFile keys of server and agent)', () => {
  const none = { amqpCaFile: '', amqpCertFile: '', amqpKeyFile: '' };
  const thisFile = new URL(import.meta.url).pathname;

  it('gives nothing when no TLS file is configured', () => {
    expect(amqpSocketOptions({ amqpUrl: 'amqp://127.0.0.1', ...none })).toBeUndefined();
    expect(amqpSocketOptions({ amqpUrl: 'amqps://broker.test', ...none })).toBeUndefined();
  });

  it.each([
    ['TLS files with a plain amqp:// URL', { amqpUrl: 'amqp://broker.test', ...none, amqpCaFile: thisFile }, 'amqps://'],
    ['a certificate without its key', { amqpUrl: 'amqps://broker.test', ...none, amqpCertFile: thisFile }, 'go together'],
    ['a key without its certificate', { amqpUrl: 'amqps://broker.test', ...none, amqpKeyFile: thisFile }, 'go together'],
    ['a CA file that does not exist', { amqpUrl: 'amqps://broker.test', ...none, amqpCaFile: '/nonexistent/ca.pem' }, '/nonexistent/ca.pem'],
  ])('refuses %s, saying what is wrong', (_what, config, message) => {
    expect(() => amqpSocketOptions(config)).toThrow(ConfigError);
    expect(() => amqpSocketOptions(config)).toThrow(message);
  });

  it('authenticates with the certificate (SASL EXTERNAL) only when the URL names no user', () => {
    const files = { amqpCaFile: thisFile, amqpCertFile: thisFile, amqpKeyFile: thisFile };
    const external = amqpSocketOptions({ amqpUrl: 'amqps://broker.test', ...files });
    expect((external?.credentials as { mechanism: string }).mechanism).toBe('EXTERNAL');
    const plain = amqpSocketOptions({ amqpUrl: 'amqps://shoal:pw@broker.test', ...files });
    expect(plain?.credentials).toBeUndefined();
    expect(plain?.ca).toHaveLength(1);
  });
});
