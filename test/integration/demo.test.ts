import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_SITES } from '../../demo/sites.js';
import { EXCHANGE_OPTIONS } from '../../shared/amqp.js';
import { BIN, startProgram, type Running } from '../support/processes.js';
import { AMQP_URL, rabbitAvailable, uniqueName } from '../support/services.js';
import { waitFor } from '../support/server.js';

const rabbit = await rabbitAvailable();

interface Listed {
  id: string;
  site: string | null;
  hostname: string;
}

/** The demo as a user starts it (`node dist/demo/main.js`), on any free port. */
async function startDemoProcess(args: string[]): Promise<{ demo: Running; url: string }> {
  const demo = startProgram(BIN.demo, ['--port', '0', '--interval', '1', ...args]);
  const [, url] = await demo.waitForOutput(/Server: (http:\/\/127\.0\.0\.1:\d+)/, 20_000);
  return { demo, url: url as string };
}

/** Every site is listed, and a VM in Tokyo is sent to a Japanese site first. */
async function checkSitesAndTokyo(url: string): Promise<void> {
  const listed = (await waitFor(
    async () => {
      const body = (await (await fetch(`${url}/api/v1/caches`)).json()) as { caches: Listed[] };
      return body.caches.length === DEMO_SITES.length ? body.caches : undefined;
    },
    { what: 'every demo site listed' },
  )) as Listed[];
  expect(listed.map((c) => c.site).sort()).toEqual(DEMO_SITES.map((s) => s.site).sort());
  const nearest = (await (await fetch(`${url}/api/v1/nearest?ip=133.11.0.1&count=3`)).json()) as {
    caller: { country_code: string };
    caches: (Listed & { location: { country_code: string } })[];
  };
  expect(nearest.caller.country_code).toBe('JP');
  expect(['JP-KEK-CRC-02', 'TOKYO-LCG2']).toContain(nearest.caches[0]?.site);
  expect(nearest.caches[0]?.location.country_code).toBe('JP');
}

/** Ctrl-C as a terminal sends it; resolves with the exit code. */
async function interrupt(demo: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => demo.child.once('exit', (code) => resolve(code)));
  demo.child.kill('SIGINT');
  return exited;
}

describe('the demo (npm run demo)', () => {
  let demo: Running | undefined;
  afterEach(async () => {
    await demo?.stop();
    demo = undefined;
  });

  it('without a broker, feeds the registry directly, says so, and stops cleanly on Ctrl-C', async () => {
    // Port 1 on loopback: nothing listens, so the connection is refused at once.
    const started = await startDemoProcess(['--amqp-url', 'amqp://guest:guest@127.0.0.1:1', '--connect-timeout', '1']);
    demo = started.demo;
    expect(demo.output()).toContain('No RabbitMQ broker answered at amqp://guest:***@127.0.0.1:1 within 1 s');
    expect(demo.output()).toContain("feed the server's registry directly");
    expect(demo.output()).toContain(`${started.url}/api/v1/nearest?ip=133.11.0.1`);
    expect(demo.output()).toContain(`npx shoal-client --server ${started.url} --dump --no-verify`);
    await checkSitesAndTokyo(started.url);
    // Loads drift: with a heartbeat a second, a cache's load soon differs from what it was.
    const kekLoad = async () => ((await (await fetch(`${started.url}/api/v1/caches`)).json()) as { caches: { id: string; load: number }[] }).caches.find((c) => c.id === 'shoal-demo-kek')?.load;
    const first = await kekLoad();
    await waitFor(async () => (await kekLoad()) !== first, { what: 'the load to drift' });
    expect(await interrupt(demo)).toBe(0);
    expect(demo.output()).toContain(`${DEMO_SITES.length} agents said goodbye; the server dropped ${DEMO_SITES.length} of their ${DEMO_SITES.length} caches at once`);
  });

  it.runIf(rabbit)('with RabbitMQ, the agents publish through the exchange, and their goodbyes empty the registry', async () => {
    const exchange = uniqueName('shoal-demo-test');
    // A queue of the test's own on the demo's exchange: proof the heartbeats really cross the broker.
    const conn = await amqp.connect(AMQP_URL);
    try {
      const channel = await conn.createChannel();
      await channel.assertExchange(exchange, 'topic', EXCHANGE_OPTIONS);
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      await channel.bindQueue(queue, exchange, '#');
      const seen: { uuid: string; status?: string }[] = [];
      await channel.consume(queue, (msg) => msg && seen.push(JSON.parse(msg.content.toString()) as { uuid: string; status?: string }), { noAck: true });

      const started = await startDemoProcess(['--amqp-url', AMQP_URL, '--exchange', exchange]);
      demo = started.demo;
      expect(demo.output()).toContain(`publish heartbeats through RabbitMQ at amqp://guest:***@127.0.0.1:5672 (exchange "${exchange}")`);
      await checkSitesAndTokyo(started.url);
      await waitFor(() => new Set(seen.map((m) => m.uuid)).size === DEMO_SITES.length, { what: 'a heartbeat from every agent on the exchange' });

      expect(await interrupt(demo)).toBe(0);
      expect(demo.output()).toContain(`the server dropped ${DEMO_SITES.length} of their ${DEMO_SITES.length} caches at once`);
      await waitFor(() => seen.filter((m) => m.status === 'leaving').length === DEMO_SITES.length, { what: 'a goodbye from every agent' });
      await channel.deleteExchange(exchange);
    } finally {
      await conn.close();
    }
  });
});
