import type { Clock } from '../shared/clock.js';
import { probeAny, type ProbeResult, type ProxyTarget } from '../shared/cvmfs-probe.js';

export interface SelfCheckResult {
  ok: boolean;
  /** Why it failed (or that checking is off). */
  reason?: string | undefined;
  /** The test URL that answered well, or the last one tried. */
  url?: string | undefined;
  ms: number;
  checkedMs: number;
}

export interface SelfCheck {
  /**
   * The verdict to advertise now. A pass is reused until it is `healthyIntervalMs` old (the slower
   * cycle while healthy); after a failure every call checks again, so the cache comes back as soon as
   * it serves.
   */
  current(): Promise<SelfCheckResult>;
  /** Check now, whatever the last result. */
  run(): Promise<SelfCheckResult>;
  /** The last verdict, without checking (null before the first check). */
  last(): SelfCheckResult | null;
}

export interface SelfCheckOptions {
  target: ProxyTarget;
  urls: readonly string[];
  timeoutMs: number;
  healthyIntervalMs: number;
  clock: Clock;
  /** The probe (tests of the cycle logic hand in a scripted one). */
  probe?: (target: ProxyTarget, urls: readonly string[], timeoutMs: number) => Promise<ProbeResult>;
}

/** Fetches the test URL(s) through the local cache, as the original agent did before each heartbeat. */
export function createSelfCheck(options: SelfCheckOptions): SelfCheck {
  const probe = options.probe ?? probeAny;
  let last: SelfCheckResult | null = null;

  const run = async (): Promise<SelfCheckResult> => {
    const checkedMs = options.clock.now();
    if (options.urls.length === 0) {
      last = { ok: true, reason: 'self-check off (no test URL)', ms: 0, checkedMs };
      return last;
    }
    const result = await probe(options.target, options.urls, options.timeoutMs);
    last = result.ok
      ? { ok: true, url: result.url, ms: result.ms, checkedMs }
      : { ok: false, url: result.url, reason: `${result.url}: ${result.reason}`, ms: result.ms, checkedMs };
    return last;
  };

  return {
    run,
    last: () => last,
    async current() {
      if (last?.ok && options.clock.now() - last.checkedMs < options.healthyIntervalMs) return last;
      return run();
    },
  };
}
