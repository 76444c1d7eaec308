import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runProgram, startProgram, type Running } from '../support/processes.js';
import { waitFor } from '../support/server.js';
import { serviceAvailable } from '../support/services.js';
import { makeTempDir } from '../support/temp.js';

const run = promisify(execFile);
const openssl = await serviceAvailable('openssl', async () => void (await run('openssl', ['version'])), 'apt-get install -y openssl');

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all made with openssl for this test. */
async function makePki(dir: string) {
  const p = (name: string) => join(dir, name);
  const ossl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=shoal test CA', '-keyout', p('ca.key'), '-out', p('ca.pem'));
  for (const [name, subject, ext] of [
    ['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
    ['client', '/CN=shoal-agent-test', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    await ossl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`));
    await ossl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '1', '-out', p(`${name}.pem`), '-extfile', await extFile(dir, name, ext));
  }
  return { ca: p('ca.pem'), serverCert: p('server.pem'), serverKey: p('server.key'), clientCert: p('client.pem'), clientKey: p('client.key') };
}

async function extFile(dir: string, name: string, line: string): Promise<string> {
  const path = join(dir, `${name}.ext`);
  await writeFile(path, `${line}\n`);
  return path;
}

/**
 * No broker here speaks amqps://, and the shared RabbitMQ must not be reconfigured: a TLS listener that
 * demands a client certificate signed by the test CA stands in for it. Reaching its handshake proves
 * the agent hands --amqp-ca-file, --amqp-cert-file and --amqp-key-file to the AMQP connection.
 */
describe.runIf(openssl)('shoal-agent over amqps:// with the configured certificates', () => {
  let dir: string;
  let pki: Awaited<ReturnType<typeof makePki>>;
  let listener: Server;
  let port: number;
  const clients: { cn: string; authorized: boolean }[] = [];
  let agent: Running | null = null;

  beforeAll(async () => {
    dir = await makeTempDir('shoal-tls-');
    pki = await makePki(dir);
    listener = createServer(
      { key: await readFile(pki.serverKey), cert: await readFile(pki.serverCert), ca: await readFile(pki.ca), requestCert: true, rejectUnauthorized: true },
      (socket: TLSSocket) => {
        clients.push({ cn: String(socket.getPeerCertificate().subject?.CN), authorized: socket.authorized });
        socket.destroy();
      },
    );
    listener.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', () => resolve()));
    port = (listener.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await agent?.stop();
    await new Promise<void>((resolve) => listener?.close(() => resolve()));
  });

  const args = (extra: string[]) => [
    '--amqp-url', `amqps://guest:guest@127.0.0.1:${port}`,
    '--test-urls', 'none',
    '--cache-manager-url', 'off',
    '--uuid', 'tls-test',
    ...extra,
  ];
  const startAgent = (extra: string[]) => startProgram(BIN.agent, args(extra));

  it('trusts the broker through --amqp-ca-file and presents the client certificate', async () => {
    agent = startAgent(['--amqp-ca-file', pki.ca, '--amqp-cert-file', pki.clientCert, '--amqp-key-file', pki.clientKey]);
    const client = await waitFor(() => clients[0], { what: 'a TLS handshake from the agent', timeoutMs: 15_000 });
    expect(client).toEqual({ cn: 'shoal-agent-test', authorized: true });
    await agent.stop();
    agent = null;
  });

  it('without the CA it refuses the broker certificate, and says why', async () => {
    const before = clients.length;
    agent = startAgent([]);
    await agent.waitForOutput(/"err":"self-signed certificate in certificate chain".*"msg":"AMQP connect failed/);
    expect(clients.length).toBe(before);
  });

  it('stops with a clear message when a certificate file is missing', async () => {
    const result = await runProgram(BIN.agent, args(['--amqp-ca-file', join(dir, 'nope.pem')]));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot read CA certificate .*nope\.pem/);
  });
});
