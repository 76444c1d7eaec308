import pLimit from 'p-limit';
import type { Clock } from '../../shared/clock.js';
import { probeAny, type ProbeResult, type ProxyTarget } from '../../shared/cvmfs-probe.js';
import type { Logger } from '../../shared/logger.js';
import type { Metrics } from '../metrics.js';
import type { Registry } from '../registry/types.js';
import { needsVerification, verificationTarget } from './policy.js';

export interface VerifierOptions {
  urls: readonly string[];
  intervalMs: number;
  /** Per request; a cache tried on several URLs may take this long for each. */
  timeoutMs: number;
  /** Caches checked at the same time. */
  concurrency: number;
}

export interface VerificationRound {
  checked: number;
  passed: number;
  failed: number;
}

export interface Verifier {
  /** First round now, then one `intervalMs` after each round ends (rounds never overlap). */
  start(): void;
  /** No new round; resolves when the round in progress (if any) is done. */
  stop(): Promise<void>;
  /** One round over every live cache that needs checking. */
  runOnce(): Promise<VerificationRound>;
}

export interface VerifierDeps {
  registry: Registry;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  options: VerifierOptions;
  probe?: (target: ProxyTarget, urls: readonly string[], timeoutMs: number) => Promise<ProbeResult>;
}

/**
 * The server's own check that advertised caches serve, as the original Shoal's verifier: fetch the test
 * URL(s) through each cache. Runs beside the request path (lookups read whatever state is recorded), with
 * bounded concurrency and a deadline per request; each result is recorded as soon as it is known, so
 * one slow cache holds one slot for at most its timeout and never delays the others' results.
 */
export function createVerifier(deps: VerifierDeps): Verifier {
  const { registry, clock, options } = deps;
  const probe = deps.probe ?? probeAny;
  const log = deps.logger.child({ component: 'verifier' });
  const limit = pLimit(options.concurrency);
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let stopped = false;
  let inFlight: Promise<unknown> | null = null;

  const verifyOne = async (id: string): Promise<boolean | null> => {
    if (stopped) return null; // queued behind the limit when stop() came: skip quickly
    const entry = registry.get(id);
    if (!entry || !needsVerification(entry.heartbeat)) return null;
    const target = verificationTarget(entry.heartbeat);
    const result = await probe(target, options.urls, options.timeoutMs);
    // The cache may have left (goodbye, TTL) while we waited: do not bring it back.
    const now = registry.get(id);
    if (!now) return null;
    const was = now.verification?.ok;
    const state = result.ok ? { ok: true, checkedMs: clock.now() } : { ok: false, reason: `${result.url}: ${result.reason}`, checkedMs: clock.now() };
    await registry.setVerification(id, state);
    deps.metrics?.verifications.inc({ result: result.ok ? 'pass' : 'fail' });
    const where = { id, hostname: now.heartbeat.hostname, proxy: `${target.host}:${target.port}` };
    if (!result.ok && was !== false) log.warn({ ...where, reason: state.reason }, 'cache failed verification; no longer offered outside its site');
    else if (result.ok && was === false) log.info(where, 'cache passes verification again; offered again');
    return result.ok;
  };

  const runOnce = async (): Promise<VerificationRound> => {
    const ids = registry
      .snapshot()
      .filter((e) => needsVerification(e.heartbeat))
      .map((e) => e.id);
    const results = await Promise.all(
      ids.map((id) =>
        limit(() =>
          verifyOne(id).catch((error: unknown) => {
            log.error({ err: error, id }, 'verification failed to run');
            return null;
          }),
        ),
      ),
    );
    const passed = results.filter((r) => r === true).length;
    const failed = results.filter((r) => r === false).length;
    log.debug({ checked: passed + failed, passed, failed }, 'verification round done');
    return { checked: passed + failed, passed, failed };
  };

  const loop = async () => {
    if (!running) return;
    const round = runOnce();
    inFlight = round;
    await round.catch((error: unknown) => log.error({ err: error }, 'verification round failed'));
    inFlight = null;
    if (running) {
      timer = setTimeout(() => void loop(), options.intervalMs);
      timer.unref();
    }
  };

  return {
    runOnce,
    start() {
      if (running) return;
      running = true;
      stopped = false;
      void loop();
    },
    async stop() {
      running = false;
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await inFlight?.catch(() => undefined);
    },
  };
}
