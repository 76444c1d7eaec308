import type { BenchResults, LookupSize, TargetCheck } from './results.js';

/** Text output of a bench run. Pure, so the table and the target checks are unit-tested. */

const fixed = (n: number | null | undefined, digits = 1) => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));
const pct = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? '-' : `${Math.round(n * 100)}%`);

/**
 * Server CPU time per answered request, in µs: steadier than req/s on a shared machine (a run starved of
 * CPU answers fewer requests but spends about the same CPU on each).
 */
export function cpuMicros(f: { rps: number; cpu?: { server: number } | undefined } | undefined): number | null {
  return f?.cpu && f.rps > 0 ? (f.cpu.server / f.rps) * 1e6 : null;
}

/** A plain text table with left-aligned first column and right-aligned others. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Holds each figure against the targets; `pass: null` when the figure was not measured. */
export function checkTargets(r: Pick<BenchResults, 'lookup' | 'ingest' | 'memory' | 'client'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const size = (n: number, registry = 'memory') => r.lookup.find((s) => s.caches === n && (s.registry ?? 'memory') === registry);
  // Issue 19: the lookups while every cache heartbeats every 30 s, callers from 150+ countries, answer cache on.
  for (const [caches, floor] of [
    [1000, 0.7],
    [10000, 0.6],
  ] as const) {
    const s = size(caches);
    for (const route of ['api_nearest', 'nearest_5', 'wpad']) {
      const f = s?.routes[route];
      const ratio = f?.ratioToBare ?? null;
      const hits = f?.answerCacheHitRate === undefined ? '' : ` (answer cache hits ${pct(f.answerCacheHitRate)})`;
      checks.push({ what: `${route} at ${caches} caches / bare`, target: `>= ${pct(floor)}`, value: `${pct(ratio)}${hits}`, pass: ratio === null ? null : ratio >= floor });
    }
  }
  for (const caches of [1000, 10000]) {
    for (const route of ['geo_api_5', 'geo_api_50']) {
      const ratio = size(caches)?.routes[route]?.ratioToBare ?? null;
      checks.push({ what: `${route} at ${caches} caches / bare`, target: '>= 60%', value: pct(ratio), pass: ratio === null ? null : ratio >= 0.6 });
    }
  }
  const memoryLookup = size(1000)?.routes.api_nearest;
  const redisLookup = size(1000, 'redis')?.routes.api_nearest;
  const redisRatio = memoryLookup && redisLookup ? redisLookup.rps / memoryLookup.rps : null;
  checks.push({
    what: 'api_nearest at 1000 caches, Redis registry / memory registry',
    target: '>= 50%',
    value: pct(redisRatio),
    pass: redisRatio === null ? null : redisRatio >= 0.5,
  });
  const big = size(10000);
  for (const route of ['api_nearest', 'nearest_5', 'wpad']) {
    const half = big?.halfRate?.[route];
    checks.push({
      what: `${route} p99 at 10000 caches, half its throughput`,
      target: '< 10 ms',
      value: half ? `${fixed(half.p99Ms, 2)} ms @ ${Math.round(half.rps)}/s` : '-',
      pass: half ? half.p99Ms < 10 : null,
    });
  }
  const floors: Record<string, number> = { memory: 20_000, redis: 5_000 };
  for (const mode of ['memory', 'redis']) {
    const ingest = r.ingest.find((i) => i.mode === mode);
    const floor = floors[mode] as number;
    checks.push({
      what: `ingest (${mode}), heartbeats/s publish → visible`,
      target: `>= ${floor}`,
      value: ingest ? String(Math.round(ingest.updates.perSecond)) : 'not measured',
      pass: ingest ? ingest.updates.perSecond >= floor : null,
    });
  }
  // Judged right after feeding the lookup run's server; the memory table also shows RSS after the lookup load
  // and of the ingest run's fresh servers.
  const rss = r.memory.find((m) => m.caches === 10000);
  checks.push({ what: 'server RSS at 10000 caches', target: '< 200 MB', value: rss ? `${fixed(rss.rssMb)} MB` : '-', pass: rss ? rss.rssMb < 200 : null });
  // Reported, not judged: V8 keeps the heap a load grew until its memory reducer runs, on its own schedule.
  checks.push({ what: 'server RSS at 10000 caches after the lookup load', target: 'reported', value: rss?.afterLoadMb === undefined ? '-' : `${fixed(rss.afterLoadMb)} MB`, pass: null });
  for (const c of r.client) {
    const budget = c.budgetMs;
    if (budget === null) continue;
    checks.push({ what: `client --dump, ${c.scenario}`, target: `< ${budget} ms`, value: `${Math.round(c.maxMs)} ms (max)`, pass: c.maxMs < budget });
  }
  return checks;
}

/**
 * Notes on runs where the load generator was close to a full core: there the generator (autocannon pays
 * per request and per byte too) may be what limits throughput, so the server's figure is a lower bound.
 */
export function loadGeneratorNotes(lookup: readonly LookupSize[], busy: number): string[] {
  const notes: string[] = [];
  for (const s of lookup) {
    const saturated = Object.entries(s.routes).filter(([, f]) => (f.cpu?.load ?? 0) >= busy);
    if (saturated.length === 0) continue;
    const list = saturated.map(([name, f]) => `${name} (load generator ${pct(f.cpu?.load)}, server ${pct(f.cpu?.server)})`).join(', ');
    notes.push(`${s.caches} caches: the load generator used ≥ ${pct(busy)} of a core on ${list}: these rates are bounded by it, not only by the server`);
  }
  return notes;
}

/**
 * Per size, what `caller_only` (finding the caller, then bare's body) and `caller_answer` (then a fixed
 * body the size of `/api/v1/nearest`'s) reached of bare: no lookup, and no lookup with that answer, can do
 * better, so they read beside the ratio targets.
 */
export function ceilingNotes(lookup: readonly LookupSize[]): string[] {
  return lookup.flatMap((s) => {
    const notes: string[] = [];
    const ceiling = s.routes.caller_only?.ratioToBare;
    if (ceiling !== undefined && ceiling !== null) {
      notes.push(`${s.caches} caches: caller_only reached ${pct(ceiling)} of bare: finding the caller alone (trusted X-Forwarded-For, GeoIP, site networks) leaves any lookup at most that`);
    }
    const answer = s.routes.caller_answer?.ratioToBare;
    if (answer !== undefined && answer !== null) {
      notes.push(`${s.caches} caches: caller_answer reached ${pct(answer)} of bare: finding the caller and sending a fixed answer of /api/v1/nearest's size leaves that route at most that`);
    }
    return notes;
  });
}

export function formatReport(r: BenchResults): string {
  const out: string[] = [];
  out.push(`Shoal bench "${r.name}": ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, load average ${r.machine.loadAverageStart.map((l) => l.toFixed(1)).join(' ')} at start`);
  out.push('');
  const rows: string[][] = [];
  for (const s of r.lookup) {
    const bare = s.routes.bare;
    rows.push([
      `${s.caches} caches${s.registry === 'redis' ? ' (Redis)' : ''}: bare`,
      fixed(s.bareRps, 0),
      '100%',
      '',
      '',
      '',
      '',
      fixed(bare?.bytesPerResponse, 0),
      pct(bare?.cpu?.server),
      pct(bare?.cpu?.load),
      fixed(cpuMicros(bare), 0),
      '',
    ]);
    for (const [name, f] of Object.entries(s.routes)) {
      if (name === 'bare') continue;
      rows.push([
        `  ${name}`,
        fixed(f.rps, 0),
        pct(f.ratioToBare),
        fixed(f.p50Ms, 2),
        fixed(f.p99Ms, 2),
        fixed(f.p999Ms, 2),
        String(f.non2xx + f.errors),
        fixed(f.bytesPerResponse, 0),
        pct(f.cpu?.server),
        pct(f.cpu?.load),
        fixed(cpuMicros(f), 0),
        f.answerCacheHitRate === undefined ? '' : pct(f.answerCacheHitRate),
      ]);
    }
    for (const [name, f] of Object.entries(s.halfRate ?? {})) {
      rows.push([`  ${name} @ ${Math.round(f.targetRps)}/s`, fixed(f.rps, 0), '', fixed(f.p50Ms, 2), fixed(f.p99Ms, 2), fixed(f.p999Ms, 2), String(f.non2xx + f.errors), '', '', '', '', '']);
    }
  }
  out.push(formatTable(['lookup', 'req/s', 'of bare', 'p50 ms', 'p99 ms', 'p99.9 ms', 'errors', 'bytes', 'server CPU', 'loadgen CPU', 'server µs/req', 'answer cache hits'], rows));
  out.push('');
  out.push(
    formatTable(
      ['ingest (through RabbitMQ)', 'heartbeats', 'seconds', 'per second'],
      r.ingest.flatMap((i) => [
        [`${i.mode}: ${i.caches} joins`, String(i.joins.heartbeats), fixed(i.joins.visibleS, 2), fixed(i.joins.perSecond, 0)],
        [`${i.mode}: updates`, String(i.updates.heartbeats), fixed(i.updates.visibleS, 2), fixed(i.updates.perSecond, 0)],
      ]),
    ),
  );
  out.push('');
  out.push(
    formatTable(
      ['server RSS MB', 'after feed', 'after lookup load'],
      [
        ...r.memory.map((m) => [`${m.caches} caches (lookup run)`, fixed(m.rssMb), fixed(m.afterLoadMb)]),
        ...r.ingest.flatMap((i) => (i.rssMb ? [[`${i.caches} caches (fresh, ${i.mode})`, fixed(i.rssMb.afterJoins), '-'], [`  after ${i.updates.heartbeats} updates`, fixed(i.rssMb.afterUpdates), '-']] : [])),
      ],
    ),
  );
  out.push('');
  out.push(formatTable(['client --dump', 'median ms', 'max ms', 'exit'], r.client.map((c) => [c.scenario, fixed(c.medianMs, 0), fixed(c.maxMs, 0), String(c.exitCode)])));
  out.push('');
  out.push(
    formatTable(
      ['target', 'wanted', 'measured', ''],
      r.targets.map((t) => [t.what, t.target, t.value, t.pass === null ? 'n/a' : t.pass ? 'ok' : 'MISSED']),
    ),
  );
  for (const note of r.notes) out.push(`note: ${note}`);
  return out.join('\n');
}
