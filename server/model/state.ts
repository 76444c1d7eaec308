import { isOverloaded, isVerified, verificationFailed, type CacheEntry } from './cache.js';

/**
 * The states a listed cache is said to be in, built from the rules in cache.ts. There are two sets,
 * because both are on the wire: the `shoal_caches{state}` gauge's labels, and the status page's
 * colours and `?state=` filter. They are named apart so no reader takes one for the other, and their
 * words overlap with different meanings: `unverified` is "the server's check failed" in an offer state
 * and "nobody has verified it" in a page state; `failing` counts a leaving cache on the page only.
 * (Which set a reader should see is the answers issue's to say; until then both stay as they were.)
 */

/** What a lookup does with a cache, by its most telling reason: an operator's drain, then the server's check, then the agent's. */
export const OFFER_STATES = [
  /** Offered. */
  'ok',
  /** At or over its effective max load: offered only when nothing else is left. */
  'overloaded',
  /** The agent's self-check fails: offered only when nothing else is left. */
  'failing',
  /** The server's own check failed: offered only inside its own site. */
  'unverified',
  /** An operator is draining it: listed, never offered. */
  'draining',
] as const;
export type OfferState = (typeof OFFER_STATES)[number];

/** A cache's offer state (the `shoal_caches{state}` label). A leaving cache counts as `ok` or `overloaded`. */
export function offerState(entry: CacheEntry, defaultMaxLoad: number, isDrained: (id: string) => boolean): OfferState {
  if (isDrained(entry.id)) return 'draining';
  if (verificationFailed(entry)) return 'unverified';
  if (entry.heartbeat.status === 'failing') return 'failing';
  if (isOverloaded(entry.heartbeat, defaultMaxLoad)) return 'overloaded';
  return 'ok';
}

/** How the status page shows a cache (green, amber, red), in the page's sort order. Load and drains are shown apart. */
export const PAGE_STATES = [
  /** The server's check passed, or (without one) the agent says it serves (`isVerified`). */
  'verified',
  /** Serving as far as anyone knows, but neither the agent nor the server has verified it. */
  'unverified',
  /** The agent's self-check fails, it is leaving, or the server's own check failed. */
  'failing',
] as const;
export type PageState = (typeof PAGE_STATES)[number];

/** A cache's page state. */
export function pageState(entry: CacheEntry): PageState {
  if (entry.heartbeat.status !== 'ok' || verificationFailed(entry)) return 'failing';
  if (isVerified(entry)) return 'verified';
  return 'unverified';
}
