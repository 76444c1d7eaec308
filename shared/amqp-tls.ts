import { readFileSync } from 'node:fs';
import { ConfigError } from './config.js';

export interface AmqpTlsFiles {
  /** PEM of the CA that signed the broker's certificate; empty: the system's CAs. */
  caCert: string;
  /** PEM client certificate and its key, for brokers that ask for one (both or neither). */
  clientCert: string;
  clientKey: string;
}

/**
 * amqplib `socketOptions` for amqps:// from certificate paths (the original agent's `amqp_ca_cert`,
 * `amqp_client_cert`, `amqp_client_key`). Files are read once at start; a missing one stops the program
 * with the path in the message rather than failing later inside the TLS handshake.
 */
export function amqpTlsSocketOptions(files: AmqpTlsFiles, read: (path: string) => Buffer = (p) => readFileSync(p)): Record<string, unknown> | undefined {
  if (Boolean(files.clientCert) !== Boolean(files.clientKey)) {
    throw new ConfigError('amqp client certificate and key go together: give both or neither');
  }
  const load = (what: string, path: string) => {
    try {
      return read(path);
    } catch (error) {
      throw new ConfigError(`cannot read ${what} ${path}: ${(error as Error).message}`);
    }
  };
  const options: Record<string, unknown> = {};
  if (files.caCert) options.ca = [load('CA certificate', files.caCert)];
  if (files.clientCert) options.cert = load('client certificate', files.clientCert);
  if (files.clientKey) options.key = load('client key', files.clientKey);
  return Object.keys(options).length > 0 ? options : undefined;
}
