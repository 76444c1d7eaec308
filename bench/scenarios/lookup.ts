import type { LoadGenerator } from '../load.js';
import type { LoadResult } from '../load-job.js';
import { withCpuShares } from '../cpu.js';
import { createFeeder, waitForCacheCount, type Feeder } from '../feed.js';
import type { LookupSize, MemoryFigures, RouteFigures } from '../results.js';
import { startServerProcess, type ServerProcess } from '../server-process.js';
import { cacheHeartbeat, cacheHostname, type WorldAddress } from '../world.js';
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

/** What a route's request paths may be made from: the callers of the run and the caches fed so far. */
export interface PathWorld {
  callers: readonly WorldAddress[];
  caches: readonly WorldAddress[];
  size: number;
}

export interface LookupRoute {
  name: string;
  /** One path, or the paths to use in turn (built per size). */
  path: string | ((world: PathWorld) => string[]);
  headline: boolean;
  /** Every cache sends its heartbeat every this many seconds while the route is measured, as agents do. */
  heartbeatEveryS?: number;
  /** Measured on the second server of the run, started with `--answer-cache-ms 0`: the lookup itself. */
  uncached?: boolean;
}

/**
 * The routes measured at each size; `bare` is the baseline, measured before and after them. The targets
 * are measured as a deployment sees them: every cache heartbeating every 30 s (so the registry keeps
 * changing and the server's CPU includes that ingest), callers from 2,000 addresses in 150+ countries, and
 * the answer cache on, as by default. Others explain them: `caller_only` finds the caller as every lookup
 * must and answers bare's body, so its ratio is the most any lookup can reach on this machine;
 * `caller_answer` then sends a fixed body the size of `/api/v1/nearest`'s (~4.8 KB), the most that route
 * can reach whatever its lookup costs; `api_text`
 * is `api_nearest` with a ~150-byte answer instead of ~4 KB, separating the lookup from its payload; the
 * `_uncached` rows are the targets' routes on a second server of the same registry with the answer cache
 * off, so a regression in the lookup itself still shows; `geo_api_5` / `geo_api_50` are the CVMFS geo
 * API ordering 5 and 50 servers (registered cache names and address literals) for clients all over.
 */
export const LOOKUP_ROUTES: readonly LookupRoute[] = [
  { name: 'caller_only', path: '/bench/caller', headline: false },
  { name: 'caller_answer', path: '/bench/caller-answer', headline: false },
  { name: 'api_nearest', path: '/api/v1/nearest', headline: true, heartbeatEveryS: 30 },
  { name: 'nearest_5', path: '/nearest/5', headline: true, heartbeatEveryS: 30 },
  { name: 'wpad', path: '/wpad.dat', headline: true, heartbeatEveryS: 30 },
  { name: 'api_text', path: '/api/v1/nearest?format=text', headline: false, heartbeatEveryS: 30 },
  { name: 'geo_api_5', path: (w) => geoApiPaths(w, 5), headline: false },
  { name: 'geo_api_50', path: (w) => geoApiPaths(w, 50), headline: false },
  { name: 'api_nearest_uncached', path: '/api/v1/nearest', headline: false, heartbeatEveryS: 30, uncached: true },
  { name: 'nearest_5_uncached', path: '/nearest/5', headline: false, heartbeatEveryS: 30, uncached: true },
  { name: 'wpad_uncached', path: '/wpad.dat', headline: false, heartbeatEveryS: 30, uncached: true },
];

/**
 * A CVMFS client asking a Stratum-1's geo API to order `servers` Stratum-1s, once per caller, the client
 * field being the caller's address (as a client behind no proxy sends). The servers are the same for
 * every request, as a repository's are: half registered cache names, half address literals, so nothing
 * needs DNS (benchmarks talk only to loopback).
 */
export function geoApiPaths(world: PathWorld, servers: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < servers; i++) {
    const at = (i * 7919) % Math.max(1, world.size);
    const cache = world.caches[at % world.caches.length] as WorldAddress;
    names.push(i % 2 === 0 ? cacheHostname(at, cache) : cache.ip);
  }
  const list = names.join(',');
  return world.callers.map((c) => `/cvmfs/atlas.cern.ch/api/v1.0/geo/${c.ip}/${list}`);
}

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
  const serverArgs = [
    '--amqp-url', settings.amqpUrl, '--exchange', exchange, '--trusted-proxies', '127.0.0.1', '--bench-route', '--log-level', 'info',
    ...(settings.mode?.serverArgs(runId) ?? []),
  ];
  const server = await startServerProcess(serverArgs, { cpuProfileDir: settings.cpuProfileDir });
  // The uncached rows' server: the same exchange (each in-memory server has a queue of its own, so both
  // hold the same registry), the answer cache off.
  const uncached = routesToRun.some((r) => r.uncached) ? await startServerProcess([...serverArgs, '--answer-cache-ms', '0']) : null;
  const feeder = await createFeeder(settings.amqpUrl, exchange);
  const forwardedFor = deps.callers.map((c) => c.ip);
  type Measured = LoadResult & { cpu: { server: number; load: number }; answerCacheHitRate?: number };
  const measure = async (target: ServerProcess, paths: string[], overallRate?: number, heartbeats?: { caches: number; everyS: number }): Promise<Measured> => {
    const job = { url: target.url, paths, forwardedFor, connections: settings.connections, ...(overallRate ? { overallRate } : {}) };
    const stream = heartbeats ? streamHeartbeats(feeder, deps.caches, heartbeats.caches, heartbeats.caches / heartbeats.everyS, settings.seed) : null;
    try {
      if (settings.warmupS > 0) await load.run({ ...job, durationS: settings.warmupS });
      const before = await answerCacheCounts(target.url);
      const { result, cpu } = await withCpuShares({ server: target.pid, load: load.pid }, () => load.run({ ...job, durationS: settings.durationS }));
      const after = await answerCacheCounts(target.url);
      const hits = after.hit - before.hit;
      const lookups = hits + after.miss - before.miss;
      return { ...result, cpu, ...(lookups > 0 ? { answerCacheHitRate: hits / lookups } : {}) };
    } finally {
      stream?.stop();
    }
  };

  try {
    await waitForAmqp(server.url);
    if (uncached) await waitForAmqp(uncached.url);
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
      if (uncached) await waitForCacheCount(uncached.url, size, 10_000);
      const joins = size - have;
      have = size;
      const mem = await server.memory();
      const memoryAtSize: MemoryFigures | null = size === 1000 || size === 10000 ? { caches: size, rssMb: mem.rssMb } : null;
      if (memoryAtSize) memory.push(memoryAtSize);
      log(`lookup: ${size} caches in the registry (${joins} joins in ${fill.visibleS.toFixed(2)} s, RSS ${mem.rssMb.toFixed(0)} MB)`);

      const bareBefore = await measure(server, [BARE_PATH]);
      const routes: Record<string, RouteFigures> = {};
      const world = { callers: deps.callers, caches: deps.caches, size };
      const pathsOf = (route: LookupRoute) => (typeof route.path === 'string' ? [route.path] : route.path(world));
      for (const route of routesToRun) {
        const target = route.uncached && uncached ? uncached : server;
        const r = await measure(target, pathsOf(route), undefined, route.heartbeatEveryS ? { caches: size, everyS: route.heartbeatEveryS } : undefined);
        routes[route.name] = { ...r, ratioToBare: null };
        const hits = r.answerCacheHitRate === undefined ? '' : `, answer cache hits ${cores(r.answerCacheHitRate)}`;
        log(`lookup: ${size} caches ${route.name}: ${Math.round(r.rps)}/s p99 ${r.p99Ms.toFixed(2)} ms, CPU server ${cores(r.cpu.server)} load ${cores(r.cpu.load)}${hits}`);
      }
      const bareAfter = await measure(server, [BARE_PATH]);
      const bareRps = (bareBefore.rps + bareAfter.rps) / 2;
      for (const f of Object.values(routes)) f.ratioToBare = f.rps / bareRps;
      routes.bare = { ...bareAfter, ratioToBare: 1 };
      log(`lookup: ${size} caches bare: ${Math.round(bareBefore.rps)}/s before, ${Math.round(bareAfter.rps)}/s after, CPU server ${cores(bareAfter.cpu.server)} load ${cores(bareAfter.cpu.load)}`);

      const entry: LookupSize = { caches: size, registry: settings.mode?.name === 'redis' ? 'redis' : 'memory', fill: { heartbeats: joins, visibleS: fill.visibleS, perSecond: joins / fill.visibleS }, memory: mem, bareRps, routes };
      if (size === Math.max(...settings.sizes) && !settings.mode) {
        entry.halfRate = {};
        for (const route of routesToRun.filter((r) => r.headline)) {
          const targetRps = Math.max(1, Math.round((routes[route.name]?.rps ?? 2) / 2));
          const half = await measure(server, pathsOf(route), targetRps, route.heartbeatEveryS ? { caches: size, everyS: route.heartbeatEveryS } : undefined);
          entry.halfRate[route.name] = { ...half, targetRps };
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
    await uncached?.stop();
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

/** The server's answer-cache counters (shoal_answer_cache_total), read from /metrics. */
async function answerCacheCounts(url: string): Promise<{ hit: number; miss: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const count = (result: string) => Number(new RegExp(`^shoal_answer_cache_total\\{result="${result}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { hit: count('hit'), miss: count('miss') };
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
