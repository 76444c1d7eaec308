import type { LoadGenerator } from '../load.js';
import type { LoadResult } from '../load-job.js';
import { withCpuShares } from '../cpu.js';
import { createFeeder, waitForCacheCount, type Feeder } from '../feed.js';
import type { LookupSize, MemoryFigures, RouteFigures } from '../results.js';
import { startServerProcess } from '../server-process.js';
import { cacheHeartbeat, type WorldAddress } from '../world.js';
import type { IngestMode } from './ingest.js';

export interface LookupSettings {
  sizes: number[];
  durationS: number;
  warmupS: number;
  connections: number;
  seed: number;
  amqpUrl: string;
  cpuProfileDir?: string | undefined;
  /** Registry mode (default memory): its server arguments, and what to clean up after. */
  mode?: IngestMode | undefined;
  /** Route names to measure (default: every one of LOOKUP_ROUTES). */
  routes?: readonly string[] | undefined;
}

/**
 * The routes measured at each size; `bare` is the baseline, measured before and after them. Three are not
 * targets but explain them: `caller_only` finds the caller as every lookup must and answers bare's body,
 * so its ratio is the most any lookup can reach on this machine; `api_text` is the same lookup as
 * `api_nearest` with a ~150-byte answer instead of ~4 KB, separating the lookup from its payload;
 * `api_heartbeats` is `api_nearest` while every cache sends its heartbeat every 30 s, as agents do, so
 * lookups run against a registry that keeps changing (the server's CPU then includes that ingest).
 */
export const LOOKUP_ROUTES: readonly { name: string; path: string; headline: boolean; heartbeatEveryS?: number }[] = [
  { name: 'caller_only', path: '/bench/caller', headline: false },
  { name: 'api_nearest', path: '/api/v1/nearest', headline: true },
  { name: 'nearest_5', path: '/nearest/5', headline: true },
  { name: 'wpad', path: '/wpad.dat', headline: true },
  { name: 'api_text', path: '/api/v1/nearest?format=text', headline: false },
  { name: 'api_heartbeats', path: '/api/v1/nearest', headline: false, heartbeatEveryS: 30 },
];

/** Above this share of a core the load generator, not the server, may be what limits a run. */
export const LOAD_GENERATOR_BUSY = 0.9;
export const BARE_PATH = '/bench/bare';

export interface LookupOutcome {
  sizes: LookupSize[];
  memory: MemoryFigures[];
}

/**
 * One real server process, fed through RabbitMQ up to each size in turn, loaded by the separate
 * load-generator process with callers from many countries (X-Forwarded-For from a trusted 127.0.0.1).
 */
export async function runLookupBench(deps: {
  load: LoadGenerator;
  caches: readonly WorldAddress[];
  callers: readonly WorldAddress[];
  settings: LookupSettings;
  log: (line: string) => void;
}): Promise<LookupOutcome> {
  const { load, settings, log } = deps;
  const exchange = `shoal-bench-${process.pid}-${Date.now().toString(36)}`;
  const runId = `${process.pid}-${Date.now().toString(36)}`;
  const routesToRun = LOOKUP_ROUTES.filter((r) => !settings.routes || settings.routes.includes(r.name));
  const server = await startServerProcess(
    [
      '--amqp-url', settings.amqpUrl, '--exchange', exchange, '--trusted-proxies', '127.0.0.1', '--bench-route', '--log-level', 'info',
      ...(settings.mode?.serverArgs(runId) ?? []),
    ],
    { cpuProfileDir: settings.cpuProfileDir },
  );
  const feeder = await createFeeder(settings.amqpUrl, exchange);
  const forwardedFor = deps.callers.map((c) => c.ip);
  const measure = async (path: string, overallRate?: number, heartbeats?: { caches: number; everyS: number }): Promise<LoadResult & { cpu: { server: number; load: number } }> => {
    const job = { url: server.url, paths: [path], forwardedFor, connections: settings.connections, ...(overallRate ? { overallRate } : {}) };
    const stream = heartbeats ? streamHeartbeats(feeder, deps.caches, heartbeats.caches, heartbeats.caches / heartbeats.everyS, settings.seed) : null;
    try {
      if (settings.warmupS > 0) await load.run({ ...job, durationS: settings.warmupS });
      const { result, cpu } = await withCpuShares({ server: server.pid, load: load.pid }, () => load.run({ ...job, durationS: settings.durationS }));
      return { ...result, cpu };
    } finally {
      stream?.stop();
    }
  };

  try {
    await waitForAmqp(server.url);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const memory: MemoryFigures[] = [{ caches: 0, rssMb: (await server.memory()).rssMb }];
    const sizes: LookupSize[] = [];
    let have = 0;
    for (const size of settings.sizes) {
      const nowS = Date.now() / 1000;
      const bodies = function* () {
        for (let i = have; i < size; i++) yield cacheHeartbeat(i, deps.caches[i % deps.caches.length] as WorldAddress, { round: 0, seed: settings.seed, nowS });
      };
      const fill = await feeder.publishAndWait(bodies(), server.url, 120_000);
      await waitForCacheCount(server.url, size, 10_000);
      const joins = size - have;
      have = size;
      const mem = await server.memory();
      const memoryAtSize: MemoryFigures | null = size === 1000 || size === 10000 ? { caches: size, rssMb: mem.rssMb } : null;
      if (memoryAtSize) memory.push(memoryAtSize);
      log(`lookup: ${size} caches in the registry (${joins} joins in ${fill.visibleS.toFixed(2)} s, RSS ${mem.rssMb.toFixed(0)} MB)`);

      const bareBefore = await measure(BARE_PATH);
      const routes: Record<string, RouteFigures> = {};
      for (const route of routesToRun) {
        const r = await measure(route.path, undefined, route.heartbeatEveryS ? { caches: size, everyS: route.heartbeatEveryS } : undefined);
        routes[route.name] = { ...r, ratioToBare: null };
        log(`lookup: ${size} caches ${route.name}: ${Math.round(r.rps)}/s p99 ${r.p99Ms.toFixed(2)} ms, CPU server ${cores(r.cpu.server)} load ${cores(r.cpu.load)}`);
      }
      const bareAfter = await measure(BARE_PATH);
      const bareRps = (bareBefore.rps + bareAfter.rps) / 2;
      for (const f of Object.values(routes)) f.ratioToBare = f.rps / bareRps;
      routes.bare = { ...bareAfter, ratioToBare: 1 };
      log(`lookup: ${size} caches bare: ${Math.round(bareBefore.rps)}/s before, ${Math.round(bareAfter.rps)}/s after, CPU server ${cores(bareAfter.cpu.server)} load ${cores(bareAfter.cpu.load)}`);

      const entry: LookupSize = { caches: size, registry: settings.mode?.name === 'redis' ? 'redis' : 'memory', fill: { heartbeats: joins, visibleS: fill.visibleS, perSecond: joins / fill.visibleS }, memory: mem, bareRps, routes };
      if (size === Math.max(...settings.sizes) && !settings.mode) {
        entry.halfRate = {};
        for (const route of routesToRun.filter((r) => r.headline)) {
          const targetRps = Math.max(1, Math.round((routes[route.name]?.rps ?? 2) / 2));
          entry.halfRate[route.name] = { ...(await measure(route.path, targetRps)), targetRps };
        }
      }
      if (memoryAtSize) {
        memoryAtSize.afterLoadMb = (await server.memory()).rssMb;
        log(`lookup: ${size} caches, RSS ${memoryAtSize.rssMb.toFixed(0)} MB after feed, ${memoryAtSize.afterLoadMb.toFixed(0)} MB after the lookup load`);
      }
      sizes.push(entry);
    }
    return { sizes, memory };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver output:\n${server.tail()}`);
  } finally {
    await server.stop();
    await settings.mode?.cleanup?.(runId, feeder);
    await feeder.close();
  }
}

const cores = (n: number) => `${Math.round(n * 100)}%`;

/**
 * Publishes heartbeats of the first `count` bench caches, one after another, at `perSecond` (in ticks of
 * 10 ms), each with a new load, until stopped.
 */
function streamHeartbeats(feeder: Feeder, caches: readonly WorldAddress[], count: number, perSecond: number, seed: number): { stop(): void } {
  const tickMs = 10;
  let owed = 0;
  let sent = 0;
  const timer = setInterval(() => {
    owed += (perSecond * tickMs) / 1000;
    const bodies: Record<string, unknown>[] = [];
    const nowS = Date.now() / 1000;
    for (; owed >= 1; owed--, sent++) {
      const i = sent % count;
      bodies.push(cacheHeartbeat(i, caches[i % caches.length] as WorldAddress, { round: 1 + Math.floor(sent / count), seed, nowS }));
    }
    if (bodies.length > 0) void feeder.publish(bodies);
  }, tickMs);
  return { stop: () => clearInterval(timer) };
}

export async function waitForAmqp(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(`${url}/healthz`)).json()) as { amqp?: string };
    if (body.amqp === 'connected') return;
    if (Date.now() > deadline) throw new Error('server did not connect to RabbitMQ in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
