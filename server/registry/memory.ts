import type { Clock } from '../../shared/clock.js';
import type { CacheEntry, Registry, VerificationState } from './types.js';

/** The default registry: a Map with TTL driven by the injected clock. */
export function createMemoryRegistry(options: { ttlMs: number; clock: Clock }): Registry {
  const { ttlMs, clock } = options;
  const entries = new Map<string, CacheEntry>();
  let view: readonly CacheEntry[] = [];
  let viewValid = false;
  // The earliest moment any entry in the view expires: until then the cached view stays exact.
  let viewExpiresAt = Infinity;

  const invalidate = () => {
    viewValid = false;
  };

  const isLive = (e: CacheEntry, now: number) => e.lastActiveMs + ttlMs > now;

  return {
    async put(entry) {
      const existed = entries.has(entry.id) && isLive(entries.get(entry.id) as CacheEntry, clock.now());
      entries.set(entry.id, entry);
      invalidate();
      return existed ? 'updated' : 'joined';
    },
    async remove(id) {
      const entry = entries.get(id);
      if (entry) {
        entries.delete(id);
        invalidate();
      }
      return entry;
    },
    async setVerification(id, state: VerificationState) {
      const entry = entries.get(id);
      if (!entry) return;
      entries.set(id, { ...entry, verification: state });
      invalidate();
    },
    get(id) {
      const entry = entries.get(id);
      return entry && isLive(entry, clock.now()) ? entry : undefined;
    },
    snapshot() {
      const now = clock.now();
      if (viewValid && now < viewExpiresAt) return view;
      const live: CacheEntry[] = [];
      let earliest = Infinity;
      for (const e of entries.values()) {
        if (!isLive(e, now)) continue;
        live.push(e);
        earliest = Math.min(earliest, e.lastActiveMs + ttlMs);
      }
      view = Object.freeze(live);
      viewExpiresAt = earliest;
      viewValid = true;
      return view;
    },
    async sweep() {
      const now = clock.now();
      const gone: CacheEntry[] = [];
      for (const [id, e] of entries) {
        if (!isLive(e, now)) {
          entries.delete(id);
          gone.push(e);
        }
      }
      if (gone.length > 0) invalidate();
      return gone;
    },
    async close() {
      entries.clear();
      invalidate();
    },
  };
}
