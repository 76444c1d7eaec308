import pLimit from 'p-limit';
import type { Clock } from '../../shared/clock.js';
import { probeAny, type ProbeResult, type ProxyTarget } from '../../shared/cvmfs-probe.js';
import { frontierRequestUrl } from '../../shared/frontier-probe.js';
import type { Heartbeat } from '../../shared/heartbeat.js';
import type { NetworkMatcher } from '../geo/networks.js';
import type { Logger } from '../../shared/logger.js';
import type { Metrics } from '../metrics.js';
import type { Registry } from '../registry/types.js';
import type { Advertise, CacheEntry, VerificationState } from '../model/cache.js';
import { classifyProbeFailure, failureReason, type FailureClass } from './outcome.js';
import { needsVerification, verificationHosts } from './policy.js';
import { planProbe, resolveName, type ProbePlan, type ProbeTarget, type ResolveName } from './probe-policy.js';
import { createTokenBucket } from './token-bucket.js';

export interface VerifierOptions {
  urls: readonly string[];
  /**
   * Frontier server URLs (as FRONTIER_SERVER's `serverurl=`), or whole Frontier test requests, for caches
   * that serve Frontier only (their Squid may refuse CVMFS URLs). None: those caches are not checked.
   */
  frontierUrls?: readonly string[];
  intervalMs: number;
  /** Per request; a cache tried on several URLs may take this long for each. */
  timeoutMs: number;
  /** Caches checked at the same time. */
  concurrency: number;
  /**
   * First probes a second: of caches that just joined, or whose address or port changed since their
   * last probe (a burst of one second's worth). Known caches are re-checked every round, unmetered.
   */
  joinRate: number;
  /**
   * What the server hands out for a cache (`--advertise`), and so what it checks: `hostname` (the
   * default, as the server's), every address the hostname resolves to and the public/NAT address;
   * `address`, the public (else NAT) address (a cache with neither: its hostname's addresses).
   */
  advertise?: Advertise;
}

export interface VerificationRound {
  /** Probes made (passed + failed). */
  checked: number;
  passed: number;
  failed: number;
  /** Caches the server would not connect to (recorded as `not_probed`). */
  notProbed: number;
  /** Caches still waiting for a first probe under the join rate (probed as tokens come). */
  waiting: number;
}

export interface Verifier {
  /** First round now, then one `intervalMs` after each round ends (rounds never overlap). */
  start(): void;
  /** No new round or probe; resolves when the probes in progress are done. */
  stop(): Promise<void>;
  /** One round: every known cache re-checked, new ones queued and probed as far as the join rate allows now. */
  runOnce(): Promise<VerificationRound>;
}

export interface VerifierDeps {
  registry: Registry;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  options: VerifierOptions;
  /** The networks of the operator's coverage file: a cache addressed inside one may be probed on any address. */
  coverage?: NetworkMatcher | null;
  probe?: (target: ProxyTarget, urls: readonly string[], timeoutMs: number) => Promise<ProbeResult>;
  resolve?: ResolveName;
}

type Outcome = 'pass' | 'fail' | 'not_probed' | null;

/**
 * Where a cache was last probed: the hosts its heartbeat names (a change, new name, address or port,
 * makes it new again at once) and the addresses they resolved to (a name that moves to other addresses
 * is new again when it is next resolved), so a cache hopping between targets is metered as a new one.
 */
interface ProbedAt {
  named: string;
  resolved: string;
}

const resolvedKey = (targets: readonly ProbeTarget[]) => targets.map((t) => `${t.host}:${t.port}`).join(' ');

/**
 * The server's own check that advertised caches serve, as the original Shoal's verifier: fetch the test
 * URL(s) through each cache. Runs beside the request path (lookups read whatever state is recorded), with
 * bounded concurrency and a deadline per request; each result is recorded as soon as it is known, so
 * one slow cache holds one slot for at most its timeout and never delays the others' results.
 *
 * Not a scanner for whoever publishes heartbeats: it connects only where `planProbe` allows, first
 * probes are metered by `joinRate` (so a flood of new caches, or one cache hopping between addresses,
 * costs the world at most that many connections a second), and the detail of a failure goes to the log
 * and the recorded state, which public views reduce to a coarse class (outcome.ts).
 */
export function createVerifier(deps: VerifierDeps): Verifier {
  const { registry, clock, options } = deps;
  const probe = deps.probe ?? probeAny;
  // Which caches are checked, and with what: CVMFS test URLs for a cache serving CVMFS, Frontier test
  // requests for a Frontier-only one when any is configured (shared/frontier-probe.ts).
  const frontierUrls = (options.frontierUrls ?? []).map(frontierRequestUrl);
  const toCheck = (hb: Heartbeat) => needsVerification(hb, frontierUrls.length > 0);
  const testUrlsFor = (hb: Heartbeat | undefined) => (hb?.upstream === 'frontier' ? frontierUrls : options.urls);
  const resolve = deps.resolve ?? resolveName;
  const advertise = options.advertise ?? 'hostname';
  /** The hosts checked for a cache, as its heartbeat names them. */
  const namedKey = (hb: Heartbeat) => `${verificationHosts(hb, advertise).join(' ')} port ${hb.cachePort}`;
  const coverage = deps.coverage ?? null;
  const log = deps.logger.child({ component: 'verifier' });
  const limit = pLimit(options.concurrency);
  const joins = createTokenBucket({ perSecond: options.joinRate, burst: options.joinRate, clock });
  /** Cache id → where it was last probed: such a cache is known, and re-checked each round. */
  const probedAt = new Map<string, ProbedAt>();
  /** Caches waiting for their first probe, in the order they came. */
  const waiting = new Set<string>();
  /** Caches whose `not_probed` the log has told (once each). */
  const toldNotProbed = new Set<string>();
  /** Join probes started by the pump's own timer, for stop(). */
  const background = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | null = null;
  let pumpTimer: NodeJS.Timeout | null = null;
  let running = false;
  let stopped = false;
  let pumping = false;
  let inFlight: Promise<unknown> | null = null;

  const where = (entry: CacheEntry) => ({ id: entry.id, hostname: entry.heartbeat.hostname, checks: namedKey(entry.heartbeat) });

  const recordFailure = async (id: string, cls: FailureClass, detail: string): Promise<CacheEntry | null> => {
    // The cache may have left (goodbye, TTL) while we waited: do not bring it back.
    const now = registry.get(id);
    if (!now) return null;
    const reason = failureReason(cls, detail);
    // Unchanged (a cache not probed, round after round): no write, which would re-render its views and tell every replica.
    if (now.verification?.ok === false && now.verification.reason === reason && cls === 'not_probed') return now;
    await registry.setVerification(id, { ok: false, reason, checkedMs: clock.now() });
    return now;
  };

  const notProbed = async (id: string, detail: string): Promise<Outcome> => {
    probedAt.delete(id);
    const entry = await recordFailure(id, 'not_probed', detail);
    if (!entry) return null;
    deps.metrics?.verifications.inc({ result: 'not_probed' });
    if (!toldNotProbed.has(id)) {
      toldNotProbed.add(id);
      log.warn({ ...where(entry), detail }, 'cache not probed (see detail: the server will not connect there); not offered outside its site');
    }
    return 'not_probed';
  };

  /** Probes every target in turn; the first failure decides (with the target it failed at), else the last pass. */
  const probeEach = async (targets: readonly ProbeTarget[], urls: readonly string[]) => {
    let outcome: { result: ProbeResult; target: ProbeTarget } | null = null;
    for (const target of targets) {
      const result = await probe({ host: target.host, port: target.port }, urls, options.timeoutMs);
      outcome = { result, target };
      if (!result.ok) break;
    }
    return outcome!;
  };

  const probeAndRecord = async (id: string, at: ProbedAt, targets: readonly ProbeTarget[]): Promise<Outcome> => {
    const { result, target } = await probeEach(targets, testUrlsFor(registry.get(id)?.heartbeat));
    const was = registry.get(id)?.verification;
    let entry: CacheEntry | null;
    let state: VerificationState | null = null;
    // Which address failed, when it is not the one address the heartbeat names.
    const failedAt = targets.length > 1 || target.given !== target.host ? `${target.host}:${target.port} (${target.given}): ` : '';
    const reason = result.ok ? '' : `${failedAt}${result.url}: ${result.reason}`;
    if (result.ok) {
      entry = registry.get(id) ?? null;
      state = { ok: true, checkedMs: clock.now() };
      if (entry) await registry.setVerification(id, state);
    } else {
      entry = await recordFailure(id, classifyProbeFailure(result.reason), reason);
    }
    if (!entry) return null;
    probedAt.set(id, at);
    toldNotProbed.delete(id);
    deps.metrics?.verifications.inc({ result: result.ok ? 'pass' : 'fail' });
    const logged = { ...where(entry), address: result.ok ? resolvedKey(targets) : `${target.host}:${target.port}` };
    if (!result.ok && was?.ok !== false) log.warn({ ...logged, reason }, 'cache failed verification; no longer offered outside its site');
    else if (result.ok && was?.ok === false) log.info(logged, 'cache passes verification; offered again');
    return result.ok ? 'pass' : 'fail';
  };

  /** Where to connect for a live cache that needs checking; null when it left or no longer needs one. */
  const planFor = async (id: string): Promise<{ at: ProbedAt; plan: ProbePlan } | null> => {
    const entry = registry.get(id);
    if (!entry || !toCheck(entry.heartbeat)) return null;
    const plan = await planProbe(entry, coverage, resolve, advertise, options.timeoutMs);
    return { at: { named: namedKey(entry.heartbeat), resolved: plan.probe ? resolvedKey(plan.targets) : '' }, plan };
  };

  const act = async (id: string, at: ProbedAt, plan: ProbePlan): Promise<Outcome> => {
    if (stopped) return null; // queued behind the limit when stop() came: skip quickly
    if (plan.probe) return probeAndRecord(id, at, plan.targets);
    if (plan.cls === 'not_probed') return notProbed(id, plan.detail);
    probedAt.delete(id);
    const entry = await recordFailure(id, plan.cls, plan.detail);
    if (!entry) return null;
    deps.metrics?.verifications.inc({ result: 'fail' });
    return 'fail';
  };

  const guarded = (id: string, work: () => Promise<Outcome>) =>
    limit(work).catch((error: unknown) => {
      log.error({ err: error, id }, 'verification failed to run');
      return null;
    });

  /** A re-check in a round; a cache that moved since its last probe goes back to the join queue. */
  const recheck = async (id: string): Promise<Outcome> => {
    if (stopped) return null;
    const planned = await planFor(id);
    if (!planned) return null;
    const last = probedAt.get(id);
    if (last?.named !== planned.at.named || last.resolved !== planned.at.resolved) {
      waiting.add(id);
      return null;
    }
    return act(id, planned.at, planned.plan);
  };

  /**
   * Starts first probes for waiting caches while join tokens last, in arrival order. A cache the
   * server will not connect to costs no token. What it starts is returned for the caller to await.
   */
  const pump = async (): Promise<Promise<Outcome>[]> => {
    const started: Promise<Outcome>[] = [];
    if (pumping) return started;
    pumping = true;
    try {
      for (const id of waiting) {
        if (stopped) break;
        const planned = await planFor(id);
        if (!planned) {
          waiting.delete(id);
          continue;
        }
        // A token per address to connect to; none left: it stays first in line.
        if (planned.plan.probe && !joins.take(planned.plan.targets.length)) break;
        waiting.delete(id);
        started.push(guarded(id, () => act(id, planned.at, planned.plan)));
      }
    } finally {
      pumping = false;
    }
    if (waiting.size > 0 && running) schedulePump();
    return started;
  };

  const schedulePump = () => {
    if (pumpTimer) return;
    pumpTimer = setTimeout(
      () => {
        pumpTimer = null;
        const work: Promise<unknown> = pump()
          .then((started) => Promise.all(started))
          .catch((error: unknown) => log.error({ err: error }, 'verification of new caches failed'))
          .finally(() => background.delete(work));
        background.add(work);
      },
      Math.max(10, joins.msUntilToken()),
    );
    pumpTimer.unref();
  };

  const runOnce = async (): Promise<VerificationRound> => {
    const live = registry.snapshot().filter((e) => toCheck(e.heartbeat));
    const ids = new Set(live.map((e) => e.id));
    for (const memo of [probedAt, waiting, toldNotProbed]) for (const id of memo.keys()) if (!ids.has(id)) memo.delete(id);
    const known: string[] = [];
    for (const e of live) {
      if (waiting.has(e.id)) continue;
      if (probedAt.get(e.id)?.named === namedKey(e.heartbeat)) known.push(e.id);
      else waiting.add(e.id);
    }
    const rechecks = known.map((id) => guarded(id, () => recheck(id)));
    const firsts = await pump();
    const results = await Promise.all([...rechecks, ...firsts]);
    const count = (o: Outcome) => results.filter((r) => r === o).length;
    const round = { checked: count('pass') + count('fail'), passed: count('pass'), failed: count('fail'), notProbed: count('not_probed'), waiting: waiting.size };
    log.debug(round, 'verification round done');
    return round;
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
      for (const t of [timer, pumpTimer]) if (t) clearTimeout(t);
      timer = null;
      pumpTimer = null;
      await Promise.all([inFlight, ...background].map((p) => p?.catch(() => undefined)));
    },
  };
}
