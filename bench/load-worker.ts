/**
 * The HTTP load generator, as a process of its own (forked by bench/load.ts) so it never shares an
 * event loop with the server it measures. Runs autocannon and records every 2xx response time itself:
 * autocannon's own histogram keeps whole milliseconds, too coarse for sub-millisecond lookups.
 */
import type { EventEmitter } from 'node:events';
import autocannon, { type Result } from 'autocannon';
import type { LoadJob, LoadReply, LoadResult } from './load-job.js';
import { summariseLatencies } from './stats.js';

async function runJob(job: LoadJob): Promise<LoadResult> {
  let next = 0;
  const latencies: number[] = [];
  const instance = autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.durationS,
    ...(job.overallRate ? { overallRate: job.overallRate } : {}),
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => {
          const k = next++;
          return {
            ...request,
            path: job.paths[k % job.paths.length] as string,
            headers: { ...request.headers, 'x-forwarded-for': job.forwardedFor[k % job.forwardedFor.length] as string },
          };
        },
      },
    ],
    // Without a callback autocannon returns its tracker made thenable; the types only know the promise.
  }) as unknown as EventEmitter & PromiseLike<Result>;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
  });
  const result = await instance;
  const summary = summariseLatencies(latencies);
  return {
    requests: summary.count,
    rps: summary.count / result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    meanMs: summary.meanMs,
    p50Ms: summary.p50Ms,
    p99Ms: summary.p99Ms,
    p999Ms: summary.p999Ms,
    maxMs: summary.maxMs,
    bytesPerResponse: result.requests.total > 0 ? result.throughput.total / result.requests.total : Number.NaN,
  };
}

process.on('message', (job: LoadJob) => {
  runJob(job).then(
    (result) => process.send?.({ ok: true, result } satisfies LoadReply),
    (error: unknown) => process.send?.({ ok: false, error: (error as Error).message } satisfies LoadReply),
  );
});
process.on('disconnect', () => process.exit(0));
