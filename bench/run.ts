/**
 * `npm run bench`: measures the real programs on this machine (lookup, ingest, memory, client) and
 * writes bench/results/<name>.json plus a table on stdout. Only loopback traffic.
 *
 *   npm run bench                       # everything, ~3-4 minutes
 *   npm run bench -- --quick            # shorter load runs (smoke test of the harness)
 *   npm run bench -- --only lookup,client --name after-fix
 *   SHOAL_BENCH_CPU_PROF=/tmp/prof npm run bench   # the servers write .cpuprofile files there
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createSilentLogger } from '../shared/logger.js';
import { bundledGeoIpPath, openGeoIp } from '../server/geo/geoip.js';
import { startLoadGenerator } from './load.js';
import { ceilingNotes, checkTargets, formatReport, loadGeneratorNotes } from './report.js';
import type { BenchResults } from './results.js';
import { runClientBench } from './scenarios/client.js';
import { INGEST_MODES, runIngestBench } from './scenarios/ingest.js';
import { LOAD_GENERATOR_BUSY, runLookupBench } from './scenarios/lookup.js';
import { countryCount, sampleWorldAddresses } from './world.js';

const HARD_LIMIT_MS = 9 * 60_000;
const PARTS = ['lookup', 'ingest', 'client'] as const;
const REDIS_LOOKUP_SIZE = 1000;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: PARTS.join(',') },
    name: { type: 'string' },
    sizes: { type: 'string', default: '100,1000,10000' },
  },
});
const only = new Set(values.only.split(',').map((s) => s.trim()));
const sizes = values.sizes.split(',').map(Number);
const startedAt = new Date();
const name = values.name ?? startedAt.toISOString().replace(/[:.]/g, '-');
const amqpUrl = process.env.SHOAL_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const cpuProfileDir = process.env.SHOAL_BENCH_CPU_PROF || undefined;
const seed = 20_131_101;
const settings = {
  sizes,
  durationS: values.quick ? 2 : 5,
  warmupS: values.quick ? 0.5 : 1,
  connections: 16,
  seed,
  amqpUrl,
  ingestCaches: 10_000,
  ingestUpdateRounds: values.quick ? 1 : 4,
  clientRuns: values.quick ? 2 : 5,
  clientTimeoutMs: 2000,
};

const limit = setTimeout(() => {
  console.error(`bench: still running after ${HARD_LIMIT_MS / 60_000} minutes; giving up`);
  process.exit(1);
}, HARD_LIMIT_MS);
limit.unref();

const log = (line: string) => console.error(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(3)} s] ${line}`);

const geoip = await openGeoIp(bundledGeoIpPath(), createSilentLogger());
const countryOf = (ip: string) => geoip.lookup(ip)?.countryCode ?? null;
const callers = sampleWorldAddresses(countryOf, { count: 2000, seed: seed + 1 });
const caches = sampleWorldAddresses(countryOf, { count: Math.max(...sizes, settings.ingestCaches), seed: seed + 2, attempts: 60_000 });
log(`world: ${caches.length} cache addresses in ${countryCount(caches)} countries, ${callers.length} caller addresses in ${countryCount(callers)} countries`);

const results: BenchResults = {
  name,
  startedAt: startedAt.toISOString(),
  finishedAt: '',
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: platform(), loadAverageStart: loadavg(), loadAverageEnd: [] },
  settings,
  lookup: [],
  ingest: [],
  memory: [],
  client: [],
  targets: [],
  notes: [
    'caches are fed through the real AMQP path (heartbeats published to an exchange of the run), callers come as X-Forwarded-For from a trusted 127.0.0.1',
    'the machine is shared: compare ratios within a run, not absolute figures across runs',
  ],
};

if (only.has('lookup')) {
  const load = startLoadGenerator();
  try {
    const outcome = await runLookupBench({ load, caches, callers, settings: { ...settings, cpuProfileDir }, log });
    results.lookup = outcome.sizes;
    results.memory = outcome.memory;
    // Issue 6: lookups in Redis mode are served from each replica's local view, so they should cost about
    // what they cost in memory mode; one size block with the Redis registry shows it in the same run.
    const redis = INGEST_MODES.find((m) => m.name === 'redis');
    const missing = redis ? await redis.available() : 'no Redis mode';
    if (redis && !missing) {
      const redisOutcome = await runLookupBench({
        load,
        caches,
        callers,
        settings: { ...settings, sizes: [REDIS_LOOKUP_SIZE], cpuProfileDir, mode: redis, routes: ['api_nearest'] },
        log,
      });
      results.lookup.push(...redisOutcome.sizes);
    } else {
      results.notes.push(`lookup with the Redis registry not measured: ${missing}`);
    }
    results.notes.push(...ceilingNotes(results.lookup), ...loadGeneratorNotes(results.lookup, LOAD_GENERATOR_BUSY));
  } finally {
    load.close();
  }
}
if (only.has('ingest')) {
  for (const mode of INGEST_MODES) {
    const missing = await mode.available();
    if (missing) {
      results.notes.push(`ingest (${mode.name}) not measured: ${missing}`);
      continue;
    }
    results.ingest.push(
      await runIngestBench({ mode, caches, settings: { caches: settings.ingestCaches, updateRounds: settings.ingestUpdateRounds, seed, amqpUrl, cpuProfileDir }, log }),
    );
  }
}
if (only.has('client')) {
  results.client = await runClientBench({ settings: { runs: settings.clientRuns, timeoutMs: settings.clientTimeoutMs, amqpUrl }, log });
}

results.finishedAt = new Date().toISOString();
results.machine.loadAverageEnd = loadavg();
results.targets = checkTargets(results);
const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
await mkdir(dir, { recursive: true });
const file = `${dir}${name}.json`;
await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(formatReport(results));
console.log(`\nwritten: ${file} (${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s)`);
process.exit(0);
