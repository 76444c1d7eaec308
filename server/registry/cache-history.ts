import type { Clock } from '../../shared/clock.js';
import type { CacheEntry } from '../model/cache.js';
import { createLoadHistory, type LoadHistory, type LoadSample } from './load-history.js';
import type { Registry } from './types.js';
import { createVerificationHistory, type VerificationHistory } from './verification-history.js';

/** The load history's window: the cache page charts the last hour. */
export const LOAD_WINDOW_MS = 3_600_000;
/** One sample per 30 s bucket, an agent's default interval: 120 an hour. */
export const LOAD_SAMPLES = 120;
/** The last verification outcomes kept per cache: ten rounds, ten minutes at the default --verify-interval. */
export const VERIFICATION_OUTCOMES = 10;

/**
 * What this server process has seen of each listed cache lately, for `/api/v1/caches/<id>` and the cache
 * page. Memory only and per process: with Redis each replica keeps what it sees (the heartbeats it
 * consumes, its own verifier's outcomes), so replicas sharing a queue each hold part of the picture.
 */
export interface CacheHistory {
  load: LoadHistory;
  verification: VerificationHistory;
}

export function createCacheHistory(options: { clock: Clock; maxCaches: number }): CacheHistory {
  return {
    load: createLoadHistory({ clock: options.clock, windowMs: LOAD_WINDOW_MS, maxSamples: LOAD_SAMPLES, maxCaches: options.maxCaches }),
    verification: createVerificationHistory({ maxOutcomes: VERIFICATION_OUTCOMES, maxCaches: options.maxCaches }),
  };
}

/** A listed entry's sample: what its last heartbeat said, stamped when it arrived (so a re-put of the same entry changes nothing). */
export function loadSampleOf(entry: CacheEntry): LoadSample {
  const hb = entry.heartbeat;
  return { atMs: entry.lastActiveMs, load: hb.load, maxLoad: hb.maxLoad, requestRate: hb.requestRate ?? null, clientCount: hb.clientCount ?? null };
}

/**
 * `registry`, feeding `history` from what is written through it: each entry put (an accepted heartbeat, a
 * feed refresh) is a load sample, each verification recorded an outcome; a cache removed or swept is
 * forgotten, and each sweep also forgets caches that left by other ways (another replica's removal). The
 * writers (ingest, feed, verifier, admin) stay as they are, and reads go straight to `registry`.
 */
export function recordingHistory(registry: Registry, history: CacheHistory): Registry {
  const forget = (id: string) => {
    history.load.drop(id);
    history.verification.drop(id);
  };
  const isListed = (id: string) => registry.get(id) !== undefined;
  return {
    ...registry,
    async put(entry) {
      const event = await registry.put(entry);
      history.load.record(entry.id, loadSampleOf(entry));
      return event;
    },
    async remove(id, goodbye) {
      const removed = await registry.remove(id, goodbye);
      forget(id);
      return removed;
    },
    async setVerification(id, state) {
      await registry.setVerification(id, state);
      // The registry ignores an outcome for a cache that left meanwhile; so does the history.
      if (isListed(id)) history.verification.record(id, state);
    },
    async sweep() {
      const gone = await registry.sweep();
      for (const e of gone) forget(e.id);
      history.load.retain(isListed);
      history.verification.retain(isListed);
      return gone;
    },
  };
}
