import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { EXCHANGE_OPTIONS, HEARTBEAT_ROUTING_KEY } from '../shared/amqp.js';
import { SENTINEL_POSITION, sentinelHeartbeat } from './world.js';

export interface Feeder {
  /** Publishes heartbeats as the original agent does (JSON, content_type only), as fast as the broker takes them. */
  publish(bodies: Iterable<Record<string, unknown>>): Promise<number>;
  /**
   * Publishes everything, then a sentinel, and waits until a lookup shows the sentinel: the time from
   * the first publish until then is how long the server took to take every heartbeat in.
   */
  publishAndWait(bodies: Iterable<Record<string, unknown>>, serverUrl: string, timeoutMs: number): Promise<{ heartbeats: number; publishS: number; visibleS: number }>;
  deleteQueue(name: string): Promise<void>;
  /** Removes the run's exchange and disconnects. */
  close(): Promise<void>;
}

export async function createFeeder(amqpUrl: string, exchange: string): Promise<Feeder> {
  const conn: ChannelModel = await amqp.connect(amqpUrl);
  const channel: Channel = await conn.createChannel();
  await channel.assertExchange(exchange, 'topic', EXCHANGE_OPTIONS);
  let marks = 0;

  const publish = async (bodies: Iterable<Record<string, unknown>>) => {
    let n = 0;
    for (const body of bodies) {
      n++;
      const more = channel.publish(exchange, HEARTBEAT_ROUTING_KEY, Buffer.from(JSON.stringify(body)), { contentType: 'application/json' });
      if (!more) await new Promise((resolve) => channel.once('drain', resolve));
    }
    return n;
  };

  return {
    publish,
    async publishAndWait(bodies, serverUrl, timeoutMs) {
      const started = performance.now();
      const heartbeats = await publish(bodies);
      const sentinel = sentinelHeartbeat(String(++marks), Date.now() / 1000);
      await publish([sentinel.body]);
      const publishS = (performance.now() - started) / 1000;
      await waitForNearest(serverUrl, sentinel.hostname, started + timeoutMs);
      const visibleS = (performance.now() - started) / 1000;
      // Say goodbye for the sentinel, so the registry holds exactly the bench caches again.
      await publish([{ ...sentinel.body, status: 'leaving' }]);
      return { heartbeats, publishS, visibleS };
    },
    async deleteQueue(name) {
      await channel.deleteQueue(name);
    },
    async close() {
      // The exchange is the run's own: leave the broker as the run found it.
      await channel.deleteExchange(exchange).catch(() => undefined);
      await channel.close().catch(() => undefined);
      await conn.close().catch(() => undefined);
    },
  };
}

/** Polls the lookup nearest to the sentinel's position until it names `hostname`. */
async function waitForNearest(serverUrl: string, hostname: string, deadline: number): Promise<void> {
  const url = `${serverUrl}/api/v1/nearest?lat=${SENTINEL_POSITION.latitude}&lon=${SENTINEL_POSITION.longitude}&count=1`;
  for (;;) {
    const response = await fetch(url);
    const body = (await response.json()) as { caches?: { hostname: string }[] };
    if (body.caches?.[0]?.hostname === hostname) return;
    if (performance.now() > deadline) throw new Error(`heartbeats not visible in a lookup in time (waiting for ${hostname})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until /healthz reports `count` caches (after a goodbye, which takes effect at once). */
export async function waitForCacheCount(serverUrl: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(`${serverUrl}/healthz`)).json()) as { caches?: number };
    if (body.caches === count) return;
    if (Date.now() > deadline) throw new Error(`server holds ${body.caches} caches, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
