import { createFeeder, waitForCacheCount } from '../feed.js';
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
}

export const INGEST_MODES: readonly IngestMode[] = [
  { name: 'memory', serverArgs: () => [], available: async () => null },
  // Redis registry (issue 6): once the server has it, add
  // { name: 'redis', serverArgs: (id) => ['--redis-url', 'redis://127.0.0.1:6379', '--redis-prefix', `shoal-bench-${id}:`], available: ... }
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
    deps.log(`ingest (${mode.name}): ${joins.heartbeats} joins visible in ${joins.visibleS.toFixed(2)} s`);
    const all = function* () {
      for (let r = 1; r <= settings.updateRounds; r++) yield* round(r)();
    };
    const updates = await feeder.publishAndWait(all(), server.url, 120_000);
    deps.log(`ingest (${mode.name}): ${updates.heartbeats} updates visible in ${updates.visibleS.toFixed(2)} s (published in ${updates.publishS.toFixed(2)} s)`);
    return {
      mode: mode.name,
      caches: settings.caches,
      joins: { heartbeats: joins.heartbeats, visibleS: joins.visibleS, perSecond: joins.heartbeats / joins.visibleS },
      updates: { ...updates, perSecond: updates.heartbeats / updates.visibleS },
    };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver output:\n${server.tail()}`);
  } finally {
    await feeder.close();
    await server.stop();
  }
}
