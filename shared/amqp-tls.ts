import { credentials } from 'amqplib';
import { readFileSync } from 'node:fs';
import { splitAmqpUrls } from './amqp-urls.js';
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

/** The TLS settings of the server and the agent: the same key names (flags, env, JSON) in both config tables. */
export interface AmqpTlsConfig {
  /** One broker URL or several, comma-separated (shared/amqp-urls.ts). */
  amqpUrl: string;
  /** `--amqp-ca-file`: PEM CA bundle that signed the broker's certificate; empty: the system's CAs. */
  amqpCaFile: string;
  /** `--amqp-cert-file`, `--amqp-key-file`: PEM client certificate and its key. */
  amqpCertFile: string;
  amqpKeyFile: string;
}

/**
 * The socket options a program's config asks for. Certificate files need an `amqps://` URL (with
 * `amqp://` they would be silently ignored). With a client certificate and no user name in the URL,
 * the connection authenticates with the certificate (SASL EXTERNAL, RabbitMQ's
 * rabbitmq_auth_mechanism_ssl plugin). Throws a ConfigError naming what is wrong.
 */
export function amqpSocketOptions(config: AmqpTlsConfig): Record<string, unknown> | undefined {
  const files = { caCert: config.amqpCaFile, clientCert: config.amqpCertFile, clientKey: config.amqpKeyFile };
  if (!files.caCert && !files.clientCert && !files.clientKey) return undefined;
  // Several URLs (shared/amqp-urls.ts) share these options: each must be amqps://, and with a client
  // certificate either all name a user (password login over TLS) or none does (the certificate is the login).
  const urls = splitAmqpUrls(config.amqpUrl);
  if (!urls.every((url) => url.startsWith('amqps://'))) throw new ConfigError('--amqp-ca-file, --amqp-cert-file and --amqp-key-file need an amqps:// URL (every URL, when there are several)');
  const named = urls.filter((url) => userOf(url) !== '').length;
  if (files.clientCert && named > 0 && named < urls.length) {
    throw new ConfigError('with --amqp-cert-file, either every --amqp-url names a user (password login) or none does (the certificate is the login)');
  }
  const options = amqpTlsSocketOptions(files);
  if (options && files.clientCert && named === 0) options.credentials = credentials.external();
  return options;
}

function userOf(url: string): string {
  try {
    return new URL(url).username;
  } catch {
    return '';
  }
}
