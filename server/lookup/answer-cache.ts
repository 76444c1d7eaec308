import type { Clock } from '../../shared/clock.js';
import type { Caller, LookupQuery, LookupResult, LookupService } from './nearest.js';

export interface AnswerCacheOptions {
  /** How long an answer may be handed out again (`--answer-cache-ms`); 0: never, every lookup is made afresh. */
  ttlMs: number;
  /** At most this many answers are kept; the oldest go first. */
  maxEntries?: number;
  /** Told of every lookup the cache answered (hit) or had to make (miss): the `shoal_answer_cache_total` counter. */
  onLookup?: (hit: boolean) => void;
}

export interface AnswerCacheStats {
  hits: number;
  misses: number;
  /** Answers held now. */
  size: number;
}

/** Enough for the places of every GeoIP city and site callers come from, and a bound for `lat`/`lon` queries. */
const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * The lookup, with answers shared by callers it places at the same point. Two callers with the same
 * position (the same GeoIP location, the same site, the same `lat`/`lon`), the same sites and NAT, asking
 * the same question, get the same ranking, so one answer serves both for up to `ttlMs`. Every answer made
 * under an earlier `answersEpoch` (a join, a leave, a failing self-check, a drain, a verification change) is dropped at once;
 * load updates are not looked at: agents send one every 30 s, and a second of staleness changes nothing a
 * VM does. What is the caller's own (the `caller` block) is always this caller's; ages are worked out from
 * the entries when the answer is written.
 */
export function createAnswerCache(lookup: LookupService, clock: Clock, options: AnswerCacheOptions): LookupService & { stats(): AnswerCacheStats } {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const onLookup = options.onLookup ?? (() => {});
  const answers = new Map<string, { result: LookupResult; expiresMs: number }>();
  let epoch = -1;
  const stats = { hits: 0, misses: 0 };
  // Callers placed by address are one object per address (lookup/placements.ts), and writing out their
  // two coordinates cost more than the rest of a key: their part is written once per caller.
  const placeKeys = new WeakMap<Caller, string>();
  const keyOf = (query: LookupQuery) => {
    let place = placeKeys.get(query.caller);
    if (place === undefined) placeKeys.set(query.caller, (place = placeKey(query.caller)));
    return answerKey(query, place);
  };

  const cached = (key: string, nowMs: number): LookupResult | null => {
    const hit = answers.get(key);
    if (!hit) return null;
    if (hit.expiresMs > nowMs) return hit.result;
    answers.delete(key);
    return null;
  };
  const keep = (key: string, result: LookupResult, nowMs: number) => {
    // Kept in the order they expire (every answer lives ttlMs, and one is only kept after the last of its
    // key went): the expired ones are at the front, and go now rather than when next asked for, so the
    // cache holds about a lifetime's answers, not maxEntries of them (each holds its text, view-cache.ts).
    for (const [old, answer] of answers) {
      if (answer.expiresMs > nowMs && answers.size < maxEntries) break;
      answers.delete(old);
    }
    answers.set(key, { result, expiresMs: nowMs + options.ttlMs });
  };
  /** The answers kept are valid for this epoch of the registry only. */
  const sync = () => {
    const now = lookup.answersEpoch();
    if (now !== epoch) {
      answers.clear();
      epoch = now;
    }
  };
  const account = (hit: boolean) => {
    if (hit) stats.hits++;
    else stats.misses++;
    onLookup(hit);
  };

  const nearestEach = (queries: readonly LookupQuery[]): LookupResult[] => {
    if (options.ttlMs <= 0 || queries.length === 0) return lookup.nearestEach(queries);
    sync();
    const nowMs = clock.now();
    const keys = queries.map(keyOf);
    const out: (LookupResult | null)[] = keys.map((key) => cached(key, nowMs));
    const missing = queries.filter((_, q) => out[q] === null);
    const made = missing.length > 0 ? lookup.nearestEach(missing) : [];
    let next = 0;
    return queries.map((query, q) => {
      const hit = out[q];
      account(hit !== null && hit !== undefined);
      if (hit) return { ...hit, caller: query.caller };
      const result = made[next++] as LookupResult;
      keep(keys[q] as string, result, nowMs);
      return result;
    });
  };

  // nearestEach's work for one query, without its arrays: what nearly every request asks.
  const nearest = (query: LookupQuery): LookupResult => {
    if (options.ttlMs <= 0) return lookup.nearest(query);
    sync();
    const nowMs = clock.now();
    const key = keyOf(query);
    const hit = cached(key, nowMs);
    account(hit !== null);
    if (hit) return { ...hit, caller: query.caller };
    const result = lookup.nearest(query);
    keep(key, result, nowMs);
    return result;
  };

  return {
    locate: lookup.locate,
    answersEpoch: lookup.answersEpoch,
    nearest,
    nearestEach,
    stats: () => ({ ...stats, size: answers.size }),
  };
}

/**
 * Everything of a query the lookup reads: the caller's position, sites and NAT (not its address: two
 * callers placed alike are ranked alike), and the question. Site names are JSON-quoted so no name can
 * run into the next field.
 */
export function answerKey(query: LookupQuery, place: string = placeKey(query.caller)): string {
  return `${query.count}/${query.upstream}/${query.type}/${query.verifiedOnly ? 1 : 0}/${place}`;
}

/** The caller's part of `answerKey`. */
export function placeKey(caller: Caller): string {
  const sites = caller.sites.length === 0 ? '' : JSON.stringify(caller.sites);
  return `${caller.latitude}/${caller.longitude}/${caller.nat ?? ''}/${sites}`;
}
