import { execFile } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { makeTempDir } from './temp.js';

const run = promisify(execFile);

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from a CA the broker does not trust. */
  rogueCert: string;
  rogueKey: string;
  rogueCa: string;
}

/** A throw-away CA, a server certificate for localhost, a client certificate, and a rogue one (openssl). */
export async function createTestPki(): Promise<TestPki> {
  const dir = await makeTempDir('shoal-pki-');
  const p = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = async (name: string) => run('openssl', ['req', '-x509', ...ec, '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`), '-days', '2', '-subj', `/CN=${name}`]);
  const issue = async (name: string, cn: string, caName: string, extensions: string) => {
    await run('openssl', ['req', ...ec, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`]);
    await writeFile(p(`${name}.ext`), extensions);
    await run('openssl', ['x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${caName}.crt`), '-CAkey', p(`${caName}.key`), '-CAcreateserial', '-out', p(`${name}.crt`), '-days', '2', '-extfile', p(`${name}.ext`)]);
  };
  await ca('ca');
  await ca('rogue-ca');
  await issue('server', 'localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n');
  await issue('client', 'shoal-agent', 'ca', 'extendedKeyUsage=clientAuth\n');
  await issue('rogue', 'shoal-agent', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    rogueCert: p('rogue.crt'),
    rogueKey: p('rogue.key'),
    rogueCa: p('rogue-ca.crt'),
  };
}

export interface TlsFront {
  /** `amqps://guest:guest@localhost:<port>` */
  url: string;
  /** Common names of the client certificates the front accepted. */
  accepted: string[];
  close(): Promise<void>;
}

/**
 * A TLS front for the real RabbitMQ, as a broker with `ssl_options.verify = verify_peer` and
 * `fail_if_no_peer_cert = true` behaves: it requires a client certificate signed by the test CA, then
 * relays the AMQP bytes to the plain listener on 127.0.0.1:5672. Listens on loopback only.
 */
export async function startTlsFront(pki: TestPki, upstream = { host: '127.0.0.1', port: 5672 }): Promise<TlsFront> {
  const accepted: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(
    { key: await readFile(pki.serverKey), cert: await readFile(pki.serverCert), ca: [await readFile(pki.caCert)], requestCert: true, rejectUnauthorized: true },
    (tlsSocket: TLSSocket) => {
      accepted.push(String(tlsSocket.getPeerCertificate().subject?.CN ?? ''));
      const plain = connect(upstream);
      sockets.add(tlsSocket).add(plain);
      tlsSocket.pipe(plain).pipe(tlsSocket);
      const end = () => {
        tlsSocket.destroy();
        plain.destroy();
      };
      tlsSocket.on('error', end).on('close', end);
      plain.on('error', end).on('close', end);
    },
  );
  server.on('tlsClientError', () => undefined);
  const { address } = await lookup('localhost');
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `amqps://guest:guest@localhost:${port}`,
    accepted,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
