import { describe, expect, it } from 'vitest';
import { createSelfCheck } from '../../agent/self-check.js';
import { createManualClock } from '../support/clock.js';
import type { ProbeResult } from '../../shared/cvmfs-probe.js';

const URL_A = 'http://s1.test/cvmfs/atlas.cern.ch/.cvmfspublished';

/** A probe that answers from a script and counts its calls. */
function scriptedProbe(answers: boolean[]) {
  const calls: string[][] = [];
  const probe = async (_target: unknown, urls: readonly string[]): Promise<ProbeResult> => {
    calls.push([...urls]);
    const ok = answers.shift() ?? true;
    return ok ? { ok, url: URL_A, status: 200, ms: 3 } : { ok, url: URL_A, reason: 'connection refused by 127.0.0.1:3128', ms: 1 };
  };
  return { probe, calls };
}

describe('agent self-check cycle', () => {
  const target = { host: '127.0.0.1', port: 3128 };

  it('trusts a pass for the healthy interval, then checks again', async () => {
    const clock = createManualClock();
    const { probe, calls } = scriptedProbe([true, true]);
    const check = createSelfCheck({ target, urls: [URL_A], timeoutMs: 2000, healthyIntervalMs: 120_000, clock, probe });
    expect((await check.current()).ok).toBe(true);
    clock.advance(119_000);
    expect((await check.current()).ok).toBe(true);
    expect(calls).toHaveLength(1);
    clock.advance(1000);
    await check.current();
    expect(calls).toHaveLength(2);
  });

  it('after a failure checks at every call, so the cache returns as soon as it serves', async () => {
    const clock = createManualClock();
    const { probe, calls } = scriptedProbe([false, false, true]);
    const check = createSelfCheck({ target, urls: [URL_A], timeoutMs: 2000, healthyIntervalMs: 120_000, clock, probe });
    expect(check.last()).toBeNull();
    expect(await check.current()).toMatchObject({ ok: false, reason: `${URL_A}: connection refused by 127.0.0.1:3128` });
    expect(check.last()?.ok).toBe(false);
    expect((await check.current()).ok).toBe(false);
    expect((await check.current()).ok).toBe(true);
    expect(calls).toHaveLength(3);
  });

  it('run() checks now even when a pass is fresh', async () => {
    const clock = createManualClock();
    const { probe, calls } = scriptedProbe([true, false]);
    const check = createSelfCheck({ target, urls: [URL_A], timeoutMs: 2000, healthyIntervalMs: 120_000, clock, probe });
    await check.current();
    expect((await check.run()).ok).toBe(false);
    expect(calls).toHaveLength(2);
  });

  it('with no test URL it is off and always passes, saying so', async () => {
    const { probe, calls } = scriptedProbe([]);
    const check = createSelfCheck({ target, urls: [], timeoutMs: 2000, healthyIntervalMs: 0, clock: createManualClock(), probe });
    expect(await check.current()).toMatchObject({ ok: true, reason: 'self-check off (no test URL)' });
    expect(calls).toHaveLength(0);
  });
});
