import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../shared/clock.js';
import { BIN, startProgram, type Running } from '../support/processes.js';
import { startTestServer, waitFor, type TestServer } from '../support/server.js';
import { AMQP_URL, rabbitAvailable } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { makeTempDir } from '../support/temp.js';
import { freePort } from '../support/squid.js';

const rabbit = await rabbitAvailable();


/**
 * Three "brokers" for one list: a dead port, then two loopback relays to the real RabbitMQ, so a test can
 * cut (and refuse) the connections through one of them, its own only, while RabbitMQ runs on for everyone.
 */
describe.runIf(rabbit)('several broker URLs, tried in turn', () => {
  const broker = new URL(AMQP_URL);
  const urlFor = (port: number) => `${broker.protocol}//${broker.username}:${broker.password}@127.0.0.1:${port}${broker.pathname}`;
  let first: TcpProxy;
  let second: TcpProxy;
  let brokers: string;
  let server: TestServer;
  let agent: Running;
  const uuid = `habrokers${Date.now()}`;

  const lastActive = () => server.registry.get(uuid)?.lastActiveMs ?? 0;
  const heartbeatsFlow = async (what: string) => {
    const seen = lastActive();
    await waitFor(() => lastActive() > seen, { what: `a heartbeat ${what}`, timeoutMs: 20_000 });
  };

  beforeAll(async () => {
    const target = { host: broker.hostname, port: Number(broker.port || 5672) };
    first = await startTcpProxy(target);
    second = await startTcpProxy(target);
    brokers = [urlFor(await freePort()), urlFor(first.port), urlFor(second.port)].join(',');
    server = await startTestServer({ flags: { amqpUrl: brokers }, clock: systemClock });
    const dir = await makeTempDir('shoal-ha-amqp-');
    agent = startProgram(BIN.agent, [
      '--amqp-url', brokers,
      '--exchange', server.config.exchange,
      '--hostname', 'ha-brokers.test',
      '--public-ip', '142.104.1.1',
      '--uuid', uuid,
      '--interval', '1',
      '--test-urls', 'none', // no cache behind this agent: advertise without a self-check
      '--jitter', '0',
      '--log-level', 'info',
      '--state-file', join(dir, 'uuid'),
    ]);
    await waitFor(() => server.registry.get(uuid), { what: 'the first heartbeat', timeoutMs: 15_000 });
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    await first?.close();
    await second?.close();
  });

  it('connects through the first URL that answers, skipping a broker that is down', () => {
    expect(server.consumer?.state()).toBe('connected');
    expect(server.consumer?.broker()).toMatch(new RegExp(`^amqps?://[^:]*:\\*\\*\\*@127\\.0\\.0\\.1:${first.port}`)); // password hidden
    expect(agent.output()).toMatch(new RegExp(`"broker":"[^"]*:${first.port}[^"]*".*AMQP connected`));
  });

  it('reconnects through the next URL when its broker drops every connection, and heartbeats keep flowing', async () => {
    await first.block();
    await waitFor(() => server.consumer?.state() === 'connected' && server.consumer.broker().endsWith(`:${second.port}`), {
      what: 'the server to reconnect through the second relay',
      timeoutMs: 20_000,
    });
    await agent.waitForOutput(new RegExp(`"broker":"[^"]*:${second.port}[^"]*".*AMQP connected`), 20_000);
    await heartbeatsFlow('through the second relay');

    // The next after the last wraps around: the dead port fails at once, the first relay (open again) answers.
    await first.unblock();
    await second.block();
    await waitFor(() => server.consumer?.state() === 'connected' && server.consumer.broker().endsWith(`:${first.port}`), {
      what: 'the server to come round to the first relay again',
      timeoutMs: 20_000,
    });
    await heartbeatsFlow('through the first relay again');
    expect(agent.output()).toMatch(/AMQP connection lost; reconnecting/);
    expect(agent.child.exitCode).toBeNull();
  }, 60_000);
});
