import type { Clock } from '../../shared/clock.js';

export interface Refusal {
  reason: string;
  detail: string;
}

export interface ReplayGuard {
  /** Null when a signed message with this `seq` and `timestamp` (Unix seconds) is fresh; else why not. */
  check(agent: string, seq: number, timestampS: number): Refusal | null;
  /** Remember `seq` as the agent's latest (after the message was admitted). */
  commit(agent: string, seq: number): void;
  readonly size: number;
}

/**
 * Replay protection for signed heartbeats: the timestamp must lie within ±`windowS` of the server's
 * clock, and `seq` must exceed the last one admitted from that agent (keyed by key id and uuid).
 *
 * Memory is bounded by `capacity`. An agent's last `seq` only matters while a message it signed can still
 * pass the timestamp check, i.e. for 2·window after it was seen (the timestamp may run up to one window
 * ahead); older entries are dropped to make room, and if the table is full of agents seen more recently
 * than that, a NEW agent is refused rather than forgetting a live one (which would reopen replays).
 */
export function createReplayGuard(options: { windowS: number; capacity: number; clock: Clock }): ReplayGuard {
  const { windowS, capacity, clock } = options;
  // Insertion order is last-seen order: every commit moves the agent to the end.
  const last = new Map<string, { seq: number; seenMs: number }>();
  const keepMs = 2 * windowS * 1000;

  const evictExpired = (now: number) => {
    for (const [agent, entry] of last) {
      if (entry.seenMs >= now - keepMs) break;
      last.delete(agent);
    }
  };

  return {
    get size() {
      return last.size;
    },
    check(agent, seq, timestampS) {
      const now = clock.now();
      const driftS = timestampS - now / 1000;
      if (!Number.isFinite(driftS) || Math.abs(driftS) > windowS) {
        return { reason: 'stale', detail: `timestamp is ${Number.isFinite(driftS) ? driftS.toFixed(1) : driftS} s from the server clock (window ±${windowS} s)` };
      }
      const previous = last.get(agent);
      if (previous && seq <= previous.seq) return { reason: 'replay', detail: `seq ${seq} is not above the last seen ${previous.seq}` };
      if (!previous && last.size >= capacity) {
        evictExpired(now);
        if (last.size >= capacity) return { reason: 'replay_cache_full', detail: `replay cache holds ${capacity} agents seen within ${2 * windowS} s` };
      }
      return null;
    },
    commit(agent, seq) {
      last.delete(agent);
      last.set(agent, { seq, seenMs: clock.now() });
    },
  };
}
