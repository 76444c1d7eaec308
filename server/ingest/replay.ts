import type { Clock } from '../../shared/clock.js';
import type { SeqClaim } from '../registry/types.js';

export interface Refusal {
  reason: string;
  detail: string;
}

export interface ReplayGuard {
  /**
   * Null when a signed message with this `seq` and `timestamp` (Unix seconds) is fresh, and then `seq` is
   * recorded as the agent's latest in the same step, so two copies of one message can never both be fresh;
   * else why not (and nothing is recorded). `agent` is the key id and uuid. Never rejects.
   */
  claim(agent: string, seq: number, timestampS: number): Promise<Refusal | null>;
}

/** Null when the timestamp lies within ±`windowS` of the clock, else the refusal. */
export function windowRefusal(timestampS: number, nowMs: number, windowS: number): Refusal | null {
  const driftS = timestampS - nowMs / 1000;
  if (Number.isFinite(driftS) && Math.abs(driftS) <= windowS) return null;
  return { reason: 'stale', detail: `timestamp is ${Number.isFinite(driftS) ? driftS.toFixed(1) : driftS} s from the server clock (window ±${windowS} s)` };
}

/**
 * How long an agent's last seq must be kept: a message it signed passes the window check only while its
 * timestamp is within a window of the clock, and one accepted at time t was stamped at most t + window; so
 * 2·window after the last accepted message, no message up to that seq can pass the window check again.
 */
export const replayKeepMs = (windowS: number): number => 2 * windowS * 1000;

/**
 * Replay protection in this process's memory (the in-memory registry: one server, no replicas).
 *
 * Memory is bounded by `capacity`. An agent's last `seq` is dropped only once it is no longer needed
 * (replayKeepMs after it was recorded) to make room; if the table is full of agents seen more recently
 * than that, a NEW agent is refused rather than forgetting a live one (which would reopen replays).
 *
 * A restart forgets everything, so the guard also refuses messages stamped before it was created
 * (`before_start`). Anything captured before a restart was signed, and stamped, before it, so none of it
 * can be replayed into the new process (for an agent whose clock is right; one that runs δ ahead, δ being
 * at most the window or none of its messages pass, has the messages of the last δ before the restart
 * exposed: NTP keeps δ to milliseconds). Not `start − window`, which adds nothing (after the start, a stamp
 * before start − window is already outside the window); not `start + window`, which would close that δ too
 * but refuse every signed heartbeat for a whole window (up to an hour) after each start. A window after
 * the start the rule refuses nothing the window check would take: it only guards the first window.
 */
export function createMemoryReplayGuard(options: { windowS: number; capacity: number; clock: Clock }): ReplayGuard & { readonly size: number } {
  const { windowS, capacity, clock } = options;
  const startedMs = clock.now();
  // Insertion order is last-seen order: every claim moves the agent to the end.
  const last = new Map<string, { seq: number; seenMs: number }>();
  const keepMs = replayKeepMs(windowS);

  const evictExpired = (now: number) => {
    for (const [agent, entry] of last) {
      if (entry.seenMs >= now - keepMs) break;
      last.delete(agent);
    }
  };

  const claim = (agent: string, seq: number, timestampS: number): Refusal | null => {
    const now = clock.now();
    const stale = windowRefusal(timestampS, now, windowS);
    if (stale) return stale;
    if (timestampS * 1000 < startedMs) {
      return { reason: 'before_start', detail: `timestamp is ${((startedMs - timestampS * 1000) / 1000).toFixed(1)} s before this server started (replay state was not kept)` };
    }
    const previous = last.get(agent);
    if (previous && seq <= previous.seq) return { reason: 'replay', detail: `seq ${seq} is not above the last seen ${previous.seq}` };
    if (!previous && last.size >= capacity) {
      evictExpired(now);
      if (last.size >= capacity) return { reason: 'replay_cache_full', detail: `replay cache holds ${capacity} agents seen within ${2 * windowS} s` };
    }
    last.delete(agent);
    last.set(agent, { seq, seenMs: now });
    return null;
  };

  return {
    get size() {
      return last.size;
    },
    claim: (agent, seq, timestampS) => Promise.resolve(claim(agent, seq, timestampS)),
  };
}

/**
 * Replay protection shared by replicas (and kept across restarts) through the registry's store: the seq
 * is compared and recorded there in one atomic step, so whichever replica a copy reaches, only the first
 * copy is fresh; a goodbye records its seq like any message, so a heartbeat from before it stays refused.
 * The store keeps each agent's seq for replayKeepMs after its last message.
 *
 * When the store cannot be reached the message is refused (`replay_unavailable`): one replica alone cannot
 * tell a replay from a fresh message. Listed caches stay listed (the registry keeps its view) until their
 * TTL; the agent's next heartbeat after the store returns is taken.
 */
export function createSharedReplayGuard(options: {
  windowS: number;
  clock: Clock;
  claimSeq: (agent: string, seq: number, timestampMs: number, ttlMs: number) => Promise<SeqClaim>;
}): ReplayGuard {
  const { windowS, clock, claimSeq } = options;
  const keepMs = replayKeepMs(windowS);
  return {
    async claim(agent, seq, timestampS) {
      const stale = windowRefusal(timestampS, clock.now(), windowS);
      if (stale) return stale;
      let claimed: SeqClaim;
      try {
        claimed = await claimSeq(agent, seq, Math.round(timestampS * 1000), keepMs);
      } catch (error) {
        return { reason: 'replay_unavailable', detail: `cannot check seq in the shared store: ${(error as Error).message}` };
      }
      return claimed.ok ? null : { reason: 'replay', detail: `seq ${seq} is not above the last seen ${claimed.lastSeq}` };
    },
  };
}
