import { Redis } from 'ioredis';
import { createFeeder, waitForCacheCount, type Feeder } from '../feed.js';
import type { IngestFigures } from '../results.js';
import { startServerProcess } from '../server-process.js';
import { cacheHeartbeat, type WorldAddress } from '../world.js';
import { waitForAmqp } from './lookup.js';

/**
 * A registry mode to measure ingest in: the server arguments that select it. Adding a mode is one
 * entry; `available` says why a mode is left out of a run (e.g. the Redis registry not built yet).
 */
export interface IngestMode {
  name: string;
  serverArgs(runId: string): string[];
  available(): Promise<string | null>;
  /** Removes what the mode left behind (keys, durable queues). */
  cleanup?(runId: string, feeder: Feeder): Promise<void>;
}

const REDIS_URL = process.env.SHOAL_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const INGEST_MODES: readonly IngestMode[] = [
  { name: 'memory', serverArgs: () => [], available: async () => null },
  {
    name: 'redis',
    // A queue and key prefix of the run's own: with Redis the server would otherwise join the shared durable queue.
    serverArgs: (id) => ['--redis-url', REDIS_URL, '--redis-prefix', `shoal-bench-${id}:`, '--queue', `shoal-bench-${id}`],
    available: async () => {
      const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await redis.connect();
        await redis.ping();
        return null;
      } catch (error) {
        return `Redis at ${REDIS_URL} is not reachable (${(error as Error).message})`;
      } finally {
        redis.disconnect();
      }
    },
    async cleanup(id, feeder) {
      await feeder.deleteQueue(`shoal-bench-${id}`);
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        for await (const keys of redis.scanStream({ match: `shoal-bench-${id}:*`, count: 1000 }) as AsyncIterable<string[]>) {
          if (keys.length > 0) await redis.del(...keys);
        }
      } finally {
        redis.disconnect();
      }
    },
  },
];

export interface IngestSettings {
  caches: number;
  updateRounds: number;
  seed: number;
  amqpUrl: string;
  cpuProfileDir?: string | undefined;
}

/** Heartbeats/s through RabbitMQ into the registry, from the first publish until a lookup shows the last. */
export async function runIngestBench(deps: { mode: IngestMode; caches: readonly WorldAddress[]; settings: IngestSettings; log: (line: string) => void }): Promise<IngestFigures> {
  const { mode, settings } = deps;
  const runId = `${process.pid}-${Date.now().toString(36)}`;
  const exchange = `shoal-bench-ingest-${runId}`;
  const server = await startServerProcess(['--amqp-url', settings.amqpUrl, '--exchange', exchange, '--log-level', 'info', ...mode.serverArgs(runId)], {
    cpuProfileDir: settings.cpuProfileDir,
  });
  const feeder = await createFeeder(settings.amqpUrl, exchange);
  const round = (r: number) =>
    function* () {
      const nowS = Date.now() / 1000;
      for (let i = 0; i < settings.caches; i++) yield cacheHeartbeat(i, deps.caches[i % deps.caches.length] as WorldAddress, { round: r, seed: settings.seed, nowS });
    };
  try {
    await waitForAmqp(server.url);
    const joins = await feeder.publishAndWait(round(0)(), server.url, 120_000);
    await waitForCacheCount(server.url, settings.caches, 10_000);
    const afterJoins = (await server.memory()).rssMb;
    deps.log(`ingest (${mode.name}): ${joins.heartbeats} joins visible in ${joins.visibleS.toFixed(2)} s (RSS ${afterJoins.toFixed(0)} MB)`);
    const all = function* () {
      for (let r = 1; r <= settings.updateRounds; r++) yield* round(r)();
    };
    const updates = await feeder.publishAndWait(all(), server.url, 120_000);
    const afterUpdates = (await server.memory()).rssMb;
    deps.log(`ingest (${mode.name}): ${updates.heartbeats} updates visible in ${updates.visibleS.toFixed(2)} s (published in ${updates.publishS.toFixed(2)} s, RSS ${afterUpdates.toFixed(0)} MB)`);
    return {
      mode: mode.name,
      caches: settings.caches,
      joins: { heartbeats: joins.heartbeats, visibleS: joins.visibleS, perSecond: joins.heartbeats / joins.visibleS },
      updates: { ...updates, perSecond: updates.heartbeats / updates.visibleS },
      rssMb: { afterJoins, afterUpdates },
    };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver output:\n${server.tail()}`);
  } finally {
    await server.stop();
    await mode.cleanup?.(runId, feeder).catch((error: unknown) => deps.log(`ingest (${mode.name}): cleanup failed: ${(error as Error).message}`));
    await feeder.close();
  }
}
