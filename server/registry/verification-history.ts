import type { VerificationState } from '../model/cache.js';

export interface VerificationHistoryOptions {
  /** Outcomes kept per cache (the newest). */
  maxOutcomes: number;
  /** Most caches with a history (`--max-caches`); past it the one checked longest ago is forgotten. */
  maxCaches: number;
}

/** The last few outcomes of the server's own check of each cache, in this process's memory. */
export interface VerificationHistory {
  /** Keeps an outcome (one equal to the newest kept, same time and result, is not kept twice). */
  record(id: string, state: VerificationState): void;
  /** The cache's outcomes, newest first; empty when none. */
  outcomes(id: string): VerificationState[];
  drop(id: string): void;
  /** Forgets every cache that is no longer listed. */
  retain(isListed: (id: string) => boolean): void;
  size(): number;
}

/**
 * Bounded: `maxOutcomes` for each of at most `maxCaches` caches. The states are the registry's own
 * (`reason` included), so readers decide what to show: public views reduce one to its class (outcome.ts).
 */
export function createVerificationHistory(options: VerificationHistoryOptions): VerificationHistory {
  const { maxOutcomes, maxCaches } = options;
  /** Oldest outcome first; caches in the order last checked, so the first is the one to forget when full. */
  const lists = new Map<string, VerificationState[]>();

  return {
    record(id, state) {
      let list = lists.get(id);
      if (list) lists.delete(id);
      else {
        if (lists.size >= maxCaches) {
          const oldest = lists.keys().next();
          if (!oldest.done) lists.delete(oldest.value);
        }
        list = [];
      }
      lists.set(id, list);
      const last = list[list.length - 1];
      if (last && last.checkedMs === state.checkedMs && last.ok === state.ok && last.reason === state.reason) return;
      list.push({ ok: state.ok, reason: state.reason, checkedMs: state.checkedMs });
      if (list.length > maxOutcomes) list.shift();
    },
    outcomes: (id) => [...(lists.get(id) ?? [])].reverse(),
    drop(id) {
      lists.delete(id);
    },
    retain(isListed) {
      for (const id of lists.keys()) if (!isListed(id)) lists.delete(id);
    },
    size: () => lists.size,
  };
}
