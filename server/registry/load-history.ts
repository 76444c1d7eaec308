import type { Clock } from '../../shared/clock.js';

/** What one accepted heartbeat said of a cache's load, and when it arrived. */
export interface LoadSample {
  /** When the server accepted the heartbeat (its clock, ms). */
  atMs: number;
  /** kB/s out, as the agent measured it. */
  load: number;
  /** The agent's own max load; null when it sent none (the server's default applies). */
  maxLoad: number | null;
  /** HTTP requests a second, from Squid's cache manager; null when the agent sent none. */
  requestRate: number | null;
  /** Squid's "Number of clients accessing cache"; null when the agent sent none. */
  clientCount: number | null;
}

export interface LoadHistoryOptions {
  clock: Clock;
  /** How far back samples are kept and shown (one hour for the cache page). */
  windowMs: number;
  /** Most samples kept per cache; the window is cut into this many buckets of one sample each. */
  maxSamples: number;
  /** Most caches with a history (`--max-caches`); past it the one heard from longest ago is forgotten. */
  maxCaches: number;
}

/** The recent load of each cache, in this process's memory. */
export interface LoadHistory {
  /** How far back samples go. */
  readonly windowMs: number;
  /** Length of a bucket (`windowMs / maxSamples`): a cache gets at most one sample in each. */
  readonly bucketMs: number;
  /** Keeps `sample` as the cache's sample of its bucket (a later one in the same bucket replaces it). */
  record(id: string, sample: LoadSample): void;
  /** The cache's samples inside the window at the clock's now, oldest first; empty when none. */
  samples(id: string): LoadSample[];
  /** Forgets a cache (it left). */
  drop(id: string): void;
  /** Forgets every cache that is no longer listed, or whose newest sample has left the window. */
  retain(isListed: (id: string) => boolean): void;
  /** Caches with a history. */
  size(): number;
}

/**
 * One cache's samples: a ring of slots that starts small and doubles up to `maxSamples`, so memory follows
 * the samples held (a cache heard from for a minute holds 2, not 120: at 10,000 caches that was 29 MB
 * before any history existed). Times are float64 (exact ms); the four figures float32 (NaN for null), read
 * back to 7 significant digits, which is all a float32 holds: 24 bytes a sample, 2.9 kB for 120. The ring
 * only wraps once it has all its slots, so while it grows its oldest sample is in slot 0.
 */
interface Ring {
  times: Float64Array;
  figures: Float32Array;
  /** Slot of the oldest sample. */
  start: number;
  length: number;
}

const FIGURES = 4;
/** Slots of a new ring: two minutes of heartbeats every 30 s. */
const FIRST_SLOTS = 4;
const orNaN = (v: number | null) => (v === null ? Number.NaN : v);
const orNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : Number(v.toPrecision(7)));

/**
 * Bounded per-cache load history: at most `maxSamples` samples for each of at most `maxCaches` caches, one
 * per time bucket, so an agent beating every second costs what one beating every 30 s does.
 */
export function createLoadHistory(options: LoadHistoryOptions): LoadHistory {
  const { clock, windowMs, maxSamples: capacity, maxCaches } = options;
  const bucketMs = windowMs / capacity;
  const bucketOf = (ms: number) => Math.floor(ms / bucketMs);
  /** In the order caches were last heard from: the first is the one to forget when full. */
  const rings = new Map<string, Ring>();

  const slotsOf = (ring: Ring) => ring.times.length;
  const newest = (ring: Ring) => (ring.start + ring.length - 1) % slotsOf(ring);
  const grow = (ring: Ring) => {
    const slots = Math.min(capacity, slotsOf(ring) * 2);
    const times = new Float64Array(slots);
    const figures = new Float32Array(slots * FIGURES);
    times.set(ring.times);
    figures.set(ring.figures);
    ring.times = times;
    ring.figures = figures;
  };

  const write = (ring: Ring, slot: number, s: LoadSample) => {
    ring.times[slot] = s.atMs;
    const at = slot * FIGURES;
    ring.figures[at] = s.load;
    ring.figures[at + 1] = orNaN(s.maxLoad);
    ring.figures[at + 2] = orNaN(s.requestRate);
    ring.figures[at + 3] = orNaN(s.clientCount);
  };

  const ringFor = (id: string): Ring => {
    const known = rings.get(id);
    if (known) {
      rings.delete(id);
      rings.set(id, known);
      return known;
    }
    if (rings.size >= maxCaches) {
      const oldest = rings.keys().next();
      if (!oldest.done) rings.delete(oldest.value);
    }
    const slots = Math.min(capacity, FIRST_SLOTS);
    const ring: Ring = { times: new Float64Array(slots), figures: new Float32Array(slots * FIGURES), start: 0, length: 0 };
    rings.set(id, ring);
    return ring;
  };

  return {
    windowMs,
    bucketMs,
    record(id, sample) {
      const ring = ringFor(id);
      if (ring.length > 0) {
        const last = newest(ring);
        const lastMs = ring.times[last] as number;
        // Same bucket (or a clock that went back): this sample stands for the bucket; times never go back.
        if (bucketOf(sample.atMs) <= bucketOf(lastMs)) {
          write(ring, last, sample.atMs < lastMs ? { ...sample, atMs: lastMs } : sample);
          return;
        }
      }
      if (ring.length === slotsOf(ring) && slotsOf(ring) < capacity) grow(ring);
      if (ring.length < slotsOf(ring)) ring.length++;
      else ring.start = (ring.start + 1) % capacity;
      write(ring, newest(ring), sample);
    },
    samples(id) {
      const ring = rings.get(id);
      if (!ring) return [];
      const after = clock.now() - windowMs;
      const out: LoadSample[] = [];
      for (let i = 0; i < ring.length; i++) {
        const slot = (ring.start + i) % slotsOf(ring);
        const atMs = ring.times[slot] as number;
        if (atMs <= after) continue;
        const at = slot * FIGURES;
        out.push({
          atMs,
          load: orNull(ring.figures[at]) ?? 0,
          maxLoad: orNull(ring.figures[at + 1]),
          requestRate: orNull(ring.figures[at + 2]),
          clientCount: orNull(ring.figures[at + 3]),
        });
      }
      return out;
    },
    drop(id) {
      rings.delete(id);
    },
    retain(isListed) {
      const after = clock.now() - windowMs;
      for (const [id, ring] of rings) {
        if (!isListed(id) || ring.length === 0 || (ring.times[newest(ring)] as number) <= after) rings.delete(id);
      }
    },
    size: () => rings.size,
  };
}
