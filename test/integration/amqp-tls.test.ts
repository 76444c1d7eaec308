import amqp from 'amqplib';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amqpSocketOptions } from '../../shared/amqp-tls.js';
import { BIN, runProgram } from '../support/processes.js';
import { rabbitAvailable, serviceAvailable } from '../support/services.js';
import { startTestServer, waitFor, type TestServer } from '../support/server.js';
import { createTestPki, startTlsFront, type TestPki, type TlsFront } from '../support/tls.js';
import { makeTempDir } from '../support/temp.js';

const run = promisify(execFile);
const ready =
  (await rabbitAvailable()) && (await serviceAvailable('openssl', async () => void (await run('openssl', ['version'])), 'apt-get install -y openssl'));

describe.runIf(ready)('AMQP over TLS with client certificates (server and agent)', () => {
  let pki: TestPki;
  let front: TlsFront;
  let server: TestServer;

  beforeAll(async () => {
    pki = await createTestPki();
    front = await startTlsFront(pki);
    server = await startTestServer({
      flags: { amqpUrl: front.url, amqpCaFile: pki.caCert, amqpCertFile: pki.clientCert, amqpKeyFile: pki.clientKey },
    });
  });

  afterAll(async () => {
    await server?.stop();
    await front?.close();
  });

  it('carries an agent heartbeat from agent to server, both over TLS with their certificates', async () => {
    expect(server.consumer?.state()).toBe('connected');
    const uuid = `tls${Date.now()}`;
    const dir = await makeTempDir('shoal-tls-agent-');
    const result = await runProgram(BIN.agent, [
      '--once', '--amqp-url', front.url, '--exchange', server.config.exchange, '--hostname', 'tls.cache.test',
      '--public-ip', '142.104.1.1', '--uuid', uuid, '--state-file', join(dir, 'uuid'),
      '--amqp-ca-file', pki.caCert, '--amqp-cert-file', pki.clientCert, '--amqp-key-file', pki.clientKey,
    ]);
    expect(result.code, result.stderr).toBe(0);
    await waitFor(() => server.registry.get(uuid), { what: 'the heartbeat sent over TLS' });
    expect(front.accepted.filter((cn) => cn === 'shoal-agent').length).toBeGreaterThanOrEqual(2);
  });

  it('cannot connect without a client certificate, or with one the broker does not trust', async () => {
    const base = { amqpUrl: front.url, amqpCaFile: pki.caCert };
    await expect(amqp.connect(front.url, amqpSocketOptions({ ...base, amqpCertFile: '', amqpKeyFile: '' }))).rejects.toThrow();
    await expect(amqp.connect(front.url, amqpSocketOptions({ ...base, amqpCertFile: pki.rogueCert, amqpKeyFile: pki.rogueKey }))).rejects.toThrow();
  });

  it('refuses a broker whose certificate another CA signed', async () => {
    const options = amqpSocketOptions({ amqpUrl: front.url, amqpCaFile: pki.rogueCa, amqpCertFile: pki.clientCert, amqpKeyFile: pki.clientKey });
    await expect(amqp.connect(front.url, options)).rejects.toThrow(/certificate/i);
  });
});
