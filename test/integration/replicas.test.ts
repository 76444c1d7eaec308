import amqp from 'amqplib';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startProgram, type Running } from '../support/processes.js';
import { clientIds, deleteKeys, killClients, redisAddress, testRedis, uniquePrefix } from '../support/redis.js';
import { originalHeartbeat, publishRaw, waitFor } from '../support/server.js';
import { AMQP_URL, rabbitAvailable, redisAvailable, uniqueName } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

// Both services are needed; evaluate both so a missing one is reported (and fails under CI).
const services = (await rabbitAvailable()) && (await redisAvailable());

interface Replica {
  process: Running;
  url: string;
}

interface Deployment {
  prefix: string;
  exchange: string;
  queue: string;
  proxy: TcpProxy;
  start(name: string): Promise<Replica>;
  /** The ids of the caches a replica answers with. */
  caches(replica: Replica): Promise<string[]>;
  readyz(replica: Replica): Promise<{ code: number; body: { status: string; registry: { status: string } } }>;
  cleanUp(replicas: Replica[]): Promise<void>;
}

/**
 * Server replicas as real `node dist/server/main.js` processes sharing the real Redis (through a TCP relay
 * of the test's own, so Redis can be made unreachable for them alone) and one RabbitMQ queue, with a key
 * prefix, exchange and queue of the test's own.
 */
async function deployment(redis: Redis, flags: string[] = []): Promise<Deployment> {
  const prefix = uniquePrefix();
  const exchange = uniqueName('shoal-test-x');
  const queue = uniqueName('shoal-test-q');
  const proxy = await startTcpProxy(redisAddress());
  return {
    prefix,
    exchange,
    queue,
    proxy,
    async start(name) {
      const child = startProgram(BIN.server, [
        '--host', '127.0.0.1',
        '--port', '0',
        '--amqp-url', AMQP_URL,
        '--exchange', exchange,
        '--queue', queue,
        '--redis-url', `redis://127.0.0.1:${proxy.port}`,
        '--redis-prefix', prefix,
        '--redis-resync-interval', '1',
        '--log-level', 'info',
        '--no-verify', // the test caches' addresses are beyond loopback: never probe them
        ...flags,
      ], { SHOAL_TEST_REPLICA: name });
      const [, url] = await child.waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      await child.waitForOutput(/consuming heartbeats/);
      return { process: child, url: url as string };
    },
    async caches(replica) {
      const response = await fetch(`${replica.url}/api/v1/caches`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { caches: { id: string }[] };
      return body.caches.map((c) => c.id).sort();
    },
    async readyz(replica) {
      const response = await fetch(`${replica.url}/readyz`);
      return { code: response.status, body: (await response.json()) as { status: string; registry: { status: string } } };
    },
    async cleanUp(replicas) {
      for (const r of replicas) await r.process.stop();
      await proxy.close();
      await deleteKeys(redis, prefix);
      const conn = await amqp.connect(AMQP_URL);
      try {
        const channel = await conn.createChannel();
        await channel.deleteQueue(queue);
        await channel.deleteExchange(exchange);
      } finally {
        await conn.close();
      }
    },
  };
}

/** How many times a replica's log says it took in this cache as new. */
const joinedLines = (replica: Replica, id: string) =>
  replica.process
    .output()
    .split('\n')
    .filter((line) => line.includes('"cache joined"') && line.includes(id)).length;

const heartbeat = () => originalHeartbeat({ timestamp: Date.now() / 1000 });
const idOf = (hb: Record<string, unknown>) => hb.uuid as string;

describe.runIf(services)('several server replicas sharing Redis and one RabbitMQ queue', () => {
  let redis: Redis;
  let d: Deployment;
  let a: Replica;
  let b: Replica;
  const known: string[] = [];

  beforeAll(async () => {
    redis = testRedis();
    d = await deployment(redis);
    [a, b] = await Promise.all([d.start('a'), d.start('b')]);
  });

  afterAll(async () => {
    await d?.cleanUp([a, b].filter(Boolean));
    await redis?.quit();
  });

  const bothAnswer = async (ids: string[], what: string) => {
    const want = [...ids].sort();
    await waitFor(async () => JSON.stringify(await d.caches(a)) === JSON.stringify(want) && JSON.stringify(await d.caches(b)) === JSON.stringify(want), {
      what,
      timeoutMs: 15_000,
    });
  };

  it('a heartbeat consumed by one replica is answered by both, and each heartbeat is handled once', async () => {
    const beats = Array.from({ length: 6 }, heartbeat);
    for (const hb of beats) await publishRaw(d.exchange, JSON.stringify(hb));
    known.push(...beats.map(idOf));
    await bothAnswer(known, 'both replicas to answer every cache');
    for (const id of known) expect(joinedLines(a, id) + joinedLines(b, id)).toBe(1);
    expect((await d.readyz(a)).body.status).toBe('ok');
  });

  it('stopping one replica loses nothing; the other goes on consuming; a restarted one reloads from Redis', async () => {
    await a.process.stop();
    const whileDown = heartbeat();
    await publishRaw(d.exchange, JSON.stringify(whileDown));
    known.push(idOf(whileDown));
    await waitFor(async () => (await d.caches(b)).includes(idOf(whileDown)), { what: 'b to take the heartbeat alone' });

    a = await d.start('a-restarted');
    // Loaded from Redis before it listens: everything is there on its first answer.
    expect(await d.caches(a)).toEqual([...known].sort());
    expect((await d.readyz(a)).body.status).toBe('ok');
  });

  it('both recover without a restart after CLIENT KILL of their Redis connections', async () => {
    const pids = [a.process.child.pid, b.process.child.pid];
    // Each replica opens two named connections (commands and events); kill those four and nothing else.
    const killed = await killClients(redis, `shoal-server:${d.prefix}`);
    expect(killed).toHaveLength(4);
    await waitFor(async () => (await clientIds(redis, `shoal-server:${d.prefix}`)).filter((id) => !killed.includes(id)).length === 4, {
      what: 'the replicas to reconnect',
    });
    const after = heartbeat();
    await publishRaw(d.exchange, JSON.stringify(after));
    known.push(idOf(after));
    await bothAnswer(known, 'both replicas to answer a heartbeat sent after the reconnect');
    for (const r of [a, b]) expect((await d.readyz(r)).body.status).toBe('ok');
    expect([a.process.child.pid, b.process.child.pid]).toEqual(pids);
    expect(a.process.child.exitCode).toBeNull();
  });

  it('Redis unreachable: both answer from their last view and say degraded, then catch up when it returns', async () => {
    await d.proxy.block();
    for (const r of [a, b]) {
      await waitFor(async () => (await d.readyz(r)).body.status === 'degraded', { what: 'readyz to say degraded' });
      const ready = await d.readyz(r);
      expect(ready.code).toBe(200);
      expect(ready.body.registry.status).toBe('degraded');
      expect(await d.caches(r)).toEqual([...known].sort());
    }
    // Consumed by one replica while Redis is away: kept locally, written to Redis when it returns.
    const during = heartbeat();
    await publishRaw(d.exchange, JSON.stringify(during));
    known.push(idOf(during));
    await waitFor(async () => (await d.caches(a)).includes(idOf(during)) || (await d.caches(b)).includes(idOf(during)), { what: 'one replica to take it' });

    await d.proxy.unblock();
    await bothAnswer(known, 'both replicas to catch up');
    for (const r of [a, b]) await waitFor(async () => (await d.readyz(r)).body.status === 'ok', { what: 'readyz ok again', timeoutMs: 15_000 });
    expect(await redis.exists(`${d.prefix}cache:${idOf(during)}`)).toBe(1);
  });
});

describe.runIf(services)('expiry with replicas (Redis key TTL)', () => {
  let redis: Redis;
  let d: Deployment;
  let replicas: Replica[] = [];

  beforeAll(async () => {
    redis = testRedis();
    // The one place a real TTL runs out: keep it short.
    d = await deployment(redis, ['--cache-ttl', '2', '--cleanup-interval', '1']);
    replicas = await Promise.all([d.start('a'), d.start('b')]);
  });

  afterAll(async () => {
    await d?.cleanUp(replicas);
    await redis?.quit();
  });

  it('a cache whose heartbeats stop disappears from Redis and from both replicas', async () => {
    const hb = heartbeat();
    await publishRaw(d.exchange, JSON.stringify(hb));
    for (const r of replicas) await waitFor(async () => (await d.caches(r)).includes(idOf(hb)), { what: 'both to list it' });
    await waitFor(async () => (await redis.exists(`${d.prefix}cache:${idOf(hb)}`)) === 0, { what: 'Redis to expire the key', timeoutMs: 10_000 });
    for (const r of replicas) await waitFor(async () => (await d.caches(r)).length === 0, { what: 'both to drop it', timeoutMs: 10_000 });
  });
});
