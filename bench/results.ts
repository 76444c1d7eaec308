import type { LoadResult } from './load-job.js';

/** The JSON written to bench/results/<name>.json. */

export interface RouteFigures extends LoadResult {
  /** Throughput as a fraction of the bare route's in the same size block. */
  ratioToBare: number | null;
  /** CPU used during the measured run, in cores (1 = one core busy all the time): the server's and the load generator's. */
  cpu?: { server: number; load: number };
  /** Share of the run's lookups the answer cache answered (shoal_answer_cache_total); absent when it counted none. */
  answerCacheHitRate?: number;
}

export interface LookupSize {
  caches: number;
  /** Registry the server ran with; absent means memory (the default). */
  registry?: 'memory' | 'redis';
  /** Joins that brought the registry to this size (through RabbitMQ), and how long until visible. */
  fill: { heartbeats: number; visibleS: number; perSecond: number };
  /** Server memory just after filling, before load. */
  memory: { rssMb: number; peakMb: number };
  /** Mean of the bare route before and after the lookup routes (the machine is shared: noise moves both). */
  bareRps: number;
  routes: Record<string, RouteFigures>;
  /** Rate-limited runs at half the route's measured throughput (largest size only). */
  halfRate?: Record<string, LoadResult & { targetRps: number }>;
}

/**
 * Server RSS (MB) of the lookup run's server holding `caches`: right after they were fed in (what the
 * target is judged on; the V8 heap is still as large as the previous size's lookup load grew it), and
 * after the lookup load at this size (V8 keeps the heap a load grew until its memory reducer runs, on
 * its own schedule).
 */
export interface MemoryFigures {
  caches: number;
  rssMb: number;
  afterLoadMb?: number;
}

export interface IngestFigures {
  mode: string;
  caches: number;
  joins: { heartbeats: number; visibleS: number; perSecond: number };
  updates: { heartbeats: number; publishS: number; visibleS: number; perSecond: number };
  /** RSS (MB) of this run's fresh server (no lookup load) after the joins, and after the updates. */
  rssMb?: { afterJoins: number; afterUpdates: number };
}

export interface ClientFigures {
  scenario: string;
  runs: number;
  medianMs: number;
  maxMs: number;
  exitCode: number | null;
  output: string;
  /** Wall-time budget the scenario is held to, when it has one. */
  budgetMs: number | null;
}

export interface BenchResults {
  name: string;
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; node: string; platform: string; loadAverageStart: number[]; loadAverageEnd: number[] };
  settings: Record<string, unknown>;
  lookup: LookupSize[];
  ingest: IngestFigures[];
  memory: MemoryFigures[];
  client: ClientFigures[];
  targets: TargetCheck[];
  notes: string[];
}

export interface TargetCheck {
  what: string;
  target: string;
  value: string;
  pass: boolean | null;
}
