import { z } from 'zod';
import { cacheSource, clockDriftS, effectiveMaxLoad, hasClockDrift, type CacheEntry, type CacheSource } from '../model/cache.js';
import { offerState, PAGE_STATES, pageState, type OfferState, type PageState } from '../model/state.js';
import { verificationClass, type VerificationClass } from '../verification/outcome.js';
import { stateReason } from './state-reason.js';

export const SORT_KEYS = ['hostname', 'port', 'type', 'upstream', 'site', 'location', 'load', 'state', 'access', 'age'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const PAGE_SIZES = [25, 50, 100, 250] as const;

/**
 * The page's query (`/?q=&state=&sort=&dir=&page=&per=`). A bad value falls back to its default
 * rather than failing: an operator's typo in a URL should still show the page.
 */
export const StatusQuerySchema = z.object({
  q: z.string().trim().max(100).catch(''),
  state: z.enum(['all', ...PAGE_STATES]).catch('all'),
  sort: z.enum(SORT_KEYS).catch('hostname'),
  dir: z.enum(['asc', 'desc']).catch('asc'),
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
  per: z.coerce
    .number()
    .refine((n) => (PAGE_SIZES as readonly number[]).includes(n))
    .catch(50),
});
export type StatusQuery = z.infer<typeof StatusQuerySchema>;

export const DEFAULT_QUERY: StatusQuery = StatusQuerySchema.parse({});

/** One table row: what the page shows of a cache, flattened once per request. */
export interface StatusRow {
  id: string;
  hostname: string;
  port: number;
  type: string;
  upstream: string;
  site: string | null;
  city: string | null;
  countryCode: string | null;
  countryName: string | null;
  latitude: number | null;
  longitude: number | null;
  load: number;
  /** The cache's max load, or the server's default when it reports none. */
  maxLoad: number;
  state: PageState;
  /** Why it is in that state, for every state (stateReason): printed under its badge, not only in a tooltip. */
  reason: string;
  /** What a lookup does with it (offerState): anything but `ok` gets a note on the page. */
  offer: OfferState;
  /** The server's own check, as its coarse class (the detail is for the admin routes); null: not checked. */
  verification: { class: VerificationClass; ageSeconds: number } | null;
  access: string;
  /** An operator is draining it: still listed, never offered. */
  draining: boolean;
  /** Listed by its agent's heartbeats, or by the operator feed (`--feed`). */
  source: CacheSource;
  lastActiveMs: number;
  ageSeconds: number;
  /** Its clock's drift in seconds (`clockDriftS`) when over the limit (`hasClockDrift`), else null: shown in red, as the original's row. */
  clockDrift: number | null;
  /** Lower-case text the filter box searches. */
  searchText: string;
}

export function toStatusRow(entry: CacheEntry, nowMs: number, defaultMaxLoad: number, isDrained: (id: string) => boolean = () => false): StatusRow {
  const hb = entry.heartbeat;
  const l = entry.location;
  const state = pageState(entry);
  const check = entry.verification;
  const source = cacheSource(entry);
  const searchText = [hb.hostname, hb.site, l?.city, l?.countryCode, l?.countryName, hb.publicIp, hb.externalIp, hb.privateIp, source === 'feed' ? 'feed' : null]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
  return {
    id: entry.id,
    hostname: hb.hostname,
    port: hb.cachePort,
    type: hb.cacheType,
    upstream: hb.upstream,
    site: hb.site ?? null,
    city: l?.city ?? null,
    countryCode: l?.countryCode ?? null,
    countryName: l?.countryName ?? null,
    latitude: l?.latitude ?? null,
    longitude: l?.longitude ?? null,
    load: hb.load,
    maxLoad: effectiveMaxLoad(hb, defaultMaxLoad),
    state,
    reason: stateReason(entry, state),
    offer: offerState(entry, defaultMaxLoad, isDrained),
    verification: check === null ? null : { class: verificationClass(check), ageSeconds: Math.max(0, Math.round((nowMs - check.checkedMs) / 1000)) },
    access: hb.access,
    draining: isDrained(entry.id),
    source,
    lastActiveMs: entry.lastActiveMs,
    ageSeconds: Math.max(0, Math.round((nowMs - entry.lastActiveMs) / 1000)),
    clockDrift: hasClockDrift(entry) ? Math.round(clockDriftS(entry) * 10) / 10 : null,
    searchText,
  };
}

// One collator for every text column: far faster than String#localeCompare over 5,000 rows; numeric so
// squid2 sorts before squid10.
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
const STATE_ORDER: Record<PageState, number> = { verified: 0, unverified: 1, failing: 2 };
const text = (a: string | null, b: string | null) => collator.compare(a ?? '\uffff', b ?? '\uffff');

/** Column comparators (ascending); ties fall back to hostname, then id, so pages never shuffle. */
const COMPARE: Record<SortKey, (a: StatusRow, b: StatusRow) => number> = {
  hostname: (a, b) => collator.compare(a.hostname, b.hostname),
  port: (a, b) => a.port - b.port,
  type: (a, b) => collator.compare(a.type, b.type),
  upstream: (a, b) => collator.compare(a.upstream, b.upstream),
  site: (a, b) => text(a.site, b.site),
  location: (a, b) => text(a.countryName, b.countryName) || text(a.city, b.city),
  load: (a, b) => a.load / a.maxLoad - b.load / b.maxLoad,
  state: (a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state],
  access: (a, b) => collator.compare(a.access, b.access),
  age: (a, b) => b.lastActiveMs - a.lastActiveMs,
};

export interface TablePage {
  rows: StatusRow[];
  /** Rows matching the filter. */
  matching: number;
  /** The page shown (clamped to the last one). */
  page: number;
  pages: number;
  /** Index of the first row shown, from 0. */
  offset: number;
}

/** Filters, sorts and cuts one page: the server does it so the browser never holds 5,000 rows. */
export function selectPage(all: readonly StatusRow[], query: StatusQuery): TablePage {
  const needle = query.q.toLowerCase();
  const matching = all.filter((r) => (query.state === 'all' || r.state === query.state) && (needle === '' || r.searchText.includes(needle)));
  const compare = COMPARE[query.sort];
  const sign = query.dir === 'asc' ? 1 : -1;
  matching.sort((a, b) => sign * compare(a, b) || collator.compare(a.hostname, b.hostname) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const pages = Math.max(1, Math.ceil(matching.length / query.per));
  const page = Math.min(query.page, pages);
  const offset = (page - 1) * query.per;
  return { rows: matching.slice(offset, offset + query.per), matching: matching.length, page, pages, offset };
}

/** Counts for the page's header. */
export function summarise(all: readonly StatusRow[]): Record<PageState, number> & { total: number; load: number } {
  const counts = { verified: 0, unverified: 0, failing: 0, total: all.length, load: 0 };
  for (const r of all) {
    counts[r.state] += 1;
    counts.load += r.load;
  }
  return counts;
}
