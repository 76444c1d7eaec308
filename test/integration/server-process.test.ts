import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIN, startProgram, type Running } from '../support/processes.js';
import { AMQP_URL, deleteExchange, rabbitAvailable, uniqueName } from '../support/services.js';
import { waitFor } from '../support/server.js';

const rabbit = await rabbitAvailable();
const TOKEN = 'process-test-token-abcdefghij';

describe('shoal-server as a process', () => {
  let server: Running | undefined;
  const exchange = uniqueName('shoal-proc');
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  afterAll(() => deleteExchange(exchange));

  const start = async (amqpUrl: string) => {
    server = startProgram(BIN.server, ['--host', '127.0.0.1', '--port', '0', '--amqp-url', amqpUrl, '--exchange', exchange, '--admin-token', TOKEN, '--warmup', '0']);
    const [, url] = await server.waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    return url as string;
  };

  it('answers, degraded, while the broker is unreachable, saying why', async () => {
    const url = await start('amqp://guest:guest@127.0.0.1:1');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'degraded', amqp: 'connecting', geoip: { loaded: true } });
  });

  it.runIf(rabbit)('becomes ready once connected, never logs the admin token, and stops cleanly on SIGTERM', async () => {
    const url = await start(AMQP_URL);
    await waitFor(async () => ((await (await fetch(`${url}/readyz`)).json()) as { status: string }).status === 'ok', { what: 'readiness' });
    expect(server?.output()).toContain('"adminToken":"(set)"');
    expect(server?.output()).not.toContain(TOKEN);
    const code = await server?.stop();
    expect(code).toBe(0);
    expect(server?.output()).toMatch(/"msg":"stopped"/);
  });
});
