import type { CacheEntry, VerificationState } from '../model/cache.js';
import type { CacheHistory } from '../registry/cache-history.js';
import type { LoadSample } from '../registry/load-history.js';
import { publicVerificationView } from '../verification/outcome.js';
import { cacheView } from './json.js';

export function loadSampleView(s: LoadSample) {
  return { at: new Date(s.atMs).toISOString(), load: s.load, max_load: s.maxLoad, request_rate: s.requestRate, client_count: s.clientCount };
}

/** An outcome as every caller may see it: pass/fail and its class, never the detail (outcome.ts). */
const outcomeView = (state: VerificationState) => publicVerificationView(state) as NonNullable<ReturnType<typeof publicVerificationView>>;

/**
 * `/api/v1/caches/<id>`, and what the cache page shows: the cache as `/api/v1/caches` lists it, with the
 * load samples and verification outcomes this process keeps of it (registry/cache-history.ts).
 */
export function cacheDetailView(entry: CacheEntry, history: CacheHistory, nowMs: number) {
  return {
    ...cacheView(entry, nowMs),
    history: {
      window_s: Math.round(history.load.windowMs / 1000),
      bucket_s: history.load.bucketMs / 1000,
      load: history.load.samples(entry.id).map(loadSampleView),
      verification: history.verification.outcomes(entry.id).map(outcomeView),
    },
  };
}

export type CacheDetailView = ReturnType<typeof cacheDetailView>;
