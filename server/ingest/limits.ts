import type { Clock } from '../../shared/clock.js';
import type { Heartbeat } from '../../shared/heartbeat.js';
import type { Registry } from '../registry/types.js';
import type { Refusal } from './replay.js';

export interface IngestLimits {
  /** Largest heartbeat body in bytes. */
  maxMessageBytes: number;
  /** Most caches the registry holds; a new cache beyond it is refused (known ones still refresh). */
  maxCaches: number;
  /** Most caches one site (its `site` name, else its key id) may have listed. */
  maxCachesPerSite: number;
  /** Heartbeats one agent may send per minute. */
  maxHeartbeatsPerMinute: number;
  /** Agents the rate limiter and the replay cache remember at most (bounded memory). */
  maxTrackedAgents: number;
}

export function bodyBytes(body: unknown): number | null {
  if (Buffer.isBuffer(body)) return body.length;
  if (typeof body === 'string') return Buffer.byteLength(body, 'utf8');
  return null;
}

export function sizeRefusal(body: unknown, maxBytes: number): Refusal | null {
  const bytes = bodyBytes(body);
  return bytes !== null && bytes > maxBytes ? { reason: 'too_large', detail: `message is ${bytes} bytes (limit ${maxBytes})` } : null;
}

export interface RateLimiter {
  /** Counts one heartbeat from `agent`; a refusal once it has sent its allowance this minute. */
  take(agent: string): Refusal | null;
  readonly size: number;
}

const MINUTE_MS = 60_000;

/**
 * Heartbeats per agent per minute, in fixed one-minute windows. Memory is bounded by `capacity`: windows
 * that ended are dropped to make room; when every tracked agent is inside its window, a new agent is
 * refused until one ends (a flood of invented uuids cannot grow memory or evict real agents' counts).
 */
export function createRateLimiter(options: { perMinute: number; capacity: number; clock: Clock }): RateLimiter {
  const { perMinute, capacity, clock } = options;
  // Insertion order is window-start order: a new window re-inserts the agent at the end.
  const windows = new Map<string, { startMs: number; count: number }>();

  const evictEnded = (now: number) => {
    for (const [agent, w] of windows) {
      if (w.startMs > now - MINUTE_MS) break;
      windows.delete(agent);
    }
  };

  return {
    get size() {
      return windows.size;
    },
    take(agent) {
      const now = clock.now();
      const current = windows.get(agent);
      if (current && current.startMs > now - MINUTE_MS) {
        if (current.count >= perMinute) return { reason: 'rate_limited', detail: `more than ${perMinute} heartbeats in a minute from ${agent}` };
        current.count += 1;
        return null;
      }
      if (!current && windows.size >= capacity) {
        evictEnded(now);
        if (windows.size >= capacity) return { reason: 'rate_table_full', detail: `rate limiter tracks ${capacity} agents already` };
      }
      windows.delete(agent);
      windows.set(agent, { startMs: now, count: 1 });
      return null;
    },
  };
}

/** The site a cache counts against: its declared site, else the key that signed it; null: not limited. */
export function siteOf(hb: Heartbeat, signedBy: string | null): string | null {
  return hb.site ?? (signedBy !== null ? `key:${signedBy}` : null);
}

/** Refuses a NEW cache when the registry, or its site, is full. Updates of listed caches always pass. */
export function capacityRefusal(registry: Registry, hb: Heartbeat, signedBy: string | null, limits: IngestLimits): Refusal | null {
  if (registry.get(hb.uuid)) return null;
  // size(), not snapshot().length: joins arrive in bursts, and each one would have the registry hand out a new view.
  const size = registry.size();
  if (size >= limits.maxCaches) return { reason: 'registry_full', detail: `registry holds ${size} caches (limit ${limits.maxCaches})` };
  const site = siteOf(hb, signedBy);
  if (site === null) return null;
  let count = 0;
  for (const e of registry.snapshot()) if (siteOf(e.heartbeat, e.signedBy ?? null) === site) count += 1;
  return count >= limits.maxCachesPerSite ? { reason: 'site_full', detail: `site ${site} has ${count} caches (limit ${limits.maxCachesPerSite})` } : null;
}
