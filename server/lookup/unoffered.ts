import type { LookupQuery } from './nearest.js';

/**
 * Why a listed cache is not offered for a query: the first of the lookup's rules (nearest.ts `consider`)
 * that leaves it out. Overloaded and failing caches are not among them: when nothing else is left they
 * are offered anyway (marked `degraded`).
 */
export type Refusal = 'leaving' | 'draining' | 'not-verified' | 'upstream' | 'type' | 'site' | 'private' | 'verification';

/** In the note, reasons with the same count come in this order. */
const ORDER: readonly Refusal[] = ['verification', 'site', 'private', 'upstream', 'type', 'not-verified', 'draining', 'leaving'];

function phrase(reason: Refusal, n: number, query: Pick<LookupQuery, 'upstream' | 'type'>): string {
  const one = n === 1;
  switch (reason) {
    case 'verification':
      return "failed the server's verification";
    case 'site':
      return one ? 'is site-only' : 'are site-only';
    case 'private':
      return one ? 'is private to its site' : 'are private to their sites';
    case 'upstream':
      return `${one ? 'does' : 'do'} not serve ${query.upstream}`;
    case 'type':
      return `${one ? 'is' : 'are'} not of type ${query.type}`;
    case 'not-verified':
      return `${one ? 'is' : 'are'} not verified (verified caches only)`;
    case 'draining':
      return one ? 'is being drained' : 'are being drained';
    case 'leaving':
      return one ? 'is leaving' : 'are leaving';
  }
}

/**
 * The note of an answer that offers nothing although caches are listed: how many, and why, most common
 * reason first, e.g. "3 caches listed, none offered: 2 failed the server's verification, 1 is site-only".
 * Site-only and private caches are offered to callers inside their site's networks only.
 */
export function noneOfferedNote(listed: number, reasons: ReadonlyMap<Refusal, number>, query: Pick<LookupQuery, 'upstream' | 'type'>): string {
  const parts = ORDER.filter((r) => (reasons.get(r) ?? 0) > 0)
    .sort((a, b) => (reasons.get(b) ?? 0) - (reasons.get(a) ?? 0))
    .map((r) => `${reasons.get(r) ?? 0} ${phrase(r, reasons.get(r) ?? 0, query)}`);
  return `${listed} cache${listed === 1 ? '' : 's'} listed, none offered${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

/** The note of an answer holding caches with no location, for a caller whose position is known (model/location.ts). */
export function unlocatedNote(count: number): string {
  return `${count} ${count === 1 ? 'cache has' : 'caches have'} no location (no GeoIP record, no declared coordinates): ranked after every located cache, distance_km null`;
}
