import { parseHeartbeat } from '../../shared/heartbeat.js';
import type { Caller, RankedCache } from '../lookup/nearest.js';
import type { CacheEntry } from '../model/cache.js';
import { asciiJson } from './ascii-json.js';
import { callerView, heartbeatAgeS, RANKED_HOLES, rankedHoleValues, rankedView } from './json.js';
import { LEGACY_HOLES, legacyEntry, legacyHoleValues, legacyNearestBody } from './legacy.js';
import { pacProxyOf, pacRules, type PacLists, type PacOptions } from './pac.js';
import { pyDumps } from './python-json.js';
import { buildTemplate, fillTemplate, JSON_FIELDS, PYTHON_FIELDS, type ObjectTemplate } from './template.js';

/**
 * Serialised views of ranked caches, with everything that depends on the entry alone serialised once per
 * entry: the caches of `/api/v1/nearest` (json.ts) and of the original's routes (legacy.ts), one view
 * cache per route module, built when the routes are (and its templates checked then: `checkTemplates`).
 * Keyed on the entry object: the registry never changes an entry, it puts a new object in its place on
 * every heartbeat or verification, so an entry's text can never go stale, and a WeakMap lets it go with
 * the entry. Whole lists are keyed on the ranked list, which no one changes either: the answer cache
 * (lookup/answer-cache.ts) hands the same list to every caller placed alike, so their answers' text is
 * made once, not once per request.
 */
export interface ViewCache {
  /**
   * `asciiJson(JSON.stringify(rankedView(r, nowMs)))` of each cache of a ranked list, comma-separated: made
   * once per list and served again while every cache's heartbeat age reads the same (the only part that
   * moves with time).
   */
  rankedListJson(caches: readonly RankedCache[], nowMs: number): string;
  /** `asciiJson(JSON.stringify(callerView(caller)))`: made once per caller object (lookup/placements.ts keeps one per address). */
  callerJson(caller: Caller): string;
  /** `pyDumps(legacyEntry(r.entry, r))`. */
  legacyPython(r: Pick<RankedCache, 'entry' | 'score' | 'local' | 'maxLoad'>): string;
  /** `legacyNearestBody(caches)`: made once per ranked list (nothing in it moves with time). */
  legacyNearest(caches: readonly RankedCache[]): string;
  /** `pacRules` of the lists' proxies: made once per pair of ranked lists and options. */
  pacRules(lists: PacLists, options: Pick<PacOptions, 'direct' | 'loadbalance'>): string;
  /** `pyDumps(legacyEntry(entry, null, defaultMaxLoad))`: an entry outside any lookup, as `/all` lists it. */
  legacyPythonUnranked(entry: CacheEntry, defaultMaxLoad: number): string;
}

/**
 * A ranked template holds, besides the entry, how one lookup saw the cache (`RankedCache` fields that are
 * not measures); a lookup that sees it the same way (nearly all do) fills only the measures.
 */
interface RankedTemplate extends ObjectTemplate {
  readonly seen: Pick<RankedCache, 'host' | 'site' | 'degraded' | 'maxLoad'>;
}

/**
 * A ranked list's text with only the heartbeat ages open: in one list every other measure is fixed, and
 * the ages move about once a second per cache. `text` is the list at `ages`; null before the first fill.
 */
interface RankedListTemplate {
  readonly parts: readonly string[];
  readonly ages: number[];
  text: string | null;
}

const sameView = (a: RankedTemplate['seen'], r: RankedCache) => a.host === r.host && a.site === r.site && a.degraded === r.degraded && a.maxLoad === r.maxLoad;

/** Builds the cache of serialised views; throws when a view no longer fits its holes (see `checkTemplates`). */
export function createViewCache(): ViewCache {
  checkTemplates();
  // Usually one template per entry; a cache that callers inside and outside its site both see has two.
  const ranked = new WeakMap<CacheEntry, RankedTemplate[]>();
  // With the max load it was made for: the one figure of a legacy entry that comes from the lookup but is not a hole.
  const legacy = new WeakMap<CacheEntry, ObjectTemplate & { readonly maxLoad: number }>();
  const unranked = new WeakMap<CacheEntry, string>();
  const rankedLists = new WeakMap<readonly RankedCache[], RankedListTemplate>();
  const legacyLists = new WeakMap<readonly RankedCache[], string>();
  const callers = new WeakMap<Caller, string>();
  // Keyed on the CVMFS list, with the Frontier list and options it was made with.
  const pacTexts = new WeakMap<readonly RankedCache[], { frontier: readonly RankedCache[]; direct: boolean; loadbalance: boolean; text: string }>();
  // A list not asked for is a new empty array each time: any two empty lists list the same.
  const sameList = (a: readonly RankedCache[], b: readonly RankedCache[]) => a === b || (a.length === 0 && b.length === 0);
  const rankedTemplate = (r: RankedCache, nowMs: number): RankedTemplate => {
    let templates = ranked.get(r.entry);
    let template = templates?.find((t) => sameView(t.seen, r));
    if (!template) {
      const seen = { host: r.host, site: r.site, degraded: r.degraded, maxLoad: r.maxLoad };
      // Written out, not spread: `{ ...built, seen }` gave each template a hidden class of its own, and every
      // read of a template's parts a megamorphic one.
      const built = buildTemplate(rankedView(r, nowMs), RANKED_HOLES, JSON_FIELDS);
      template = { holes: built.holes, parts: built.parts, seen };
      if (!templates) ranked.set(r.entry, (templates = []));
      // Bounded: a cache seen more ways than this is rare and rebuilding its text is only slower.
      if (templates.length >= 4) templates.shift();
      templates.push(template);
    }
    return template;
  };
  /** A list's caches written out but for their heartbeat ages, the first hole of each (checkTemplates). */
  const rankedListTemplate = (caches: readonly RankedCache[], nowMs: number): RankedListTemplate => {
    const parts: string[] = [];
    let run: string[] = [];
    caches.forEach((r, i) => {
      const { parts: own } = rankedTemplate(r, nowMs);
      const values = rankedHoleValues(r, nowMs);
      run.push(i > 0 ? ',' : '', own[0] as string);
      parts.push(run.join(''));
      run = [];
      for (let h = 1; h < values.length; h++) run.push(own[h] as string, values[h] as string);
      run.push(own[values.length] as string);
    });
    parts.push(run.join(''));
    return { parts, ages: caches.map(() => -1), text: null };
  };
  const legacyPython = (r: Pick<RankedCache, 'entry' | 'score' | 'local' | 'maxLoad'>) => {
    let template = legacy.get(r.entry);
    if (!template || template.maxLoad !== r.maxLoad) {
      const built = buildTemplate(legacyEntry(r.entry, r) as Record<string, unknown>, LEGACY_HOLES, PYTHON_FIELDS);
      template = { holes: built.holes, parts: built.parts, maxLoad: r.maxLoad };
      legacy.set(r.entry, template);
    }
    return fillTemplate(template, legacyHoleValues(r));
  };
  return {
    rankedListJson(caches, nowMs) {
      let kept = rankedLists.get(caches);
      if (!kept) rankedLists.set(caches, (kept = rankedListTemplate(caches, nowMs)));
      const { ages } = kept;
      let moved = false;
      for (let i = 0; i < ages.length; i++) {
        const age = heartbeatAgeS((caches[i] as RankedCache).entry, nowMs);
        if (age !== ages[i]) {
          ages[i] = age;
          moved = true;
        }
      }
      if (moved || kept.text === null) {
        const out = [kept.parts[0] as string];
        for (let i = 0; i < ages.length; i++) out.push(String(ages[i]), kept.parts[i + 1] as string);
        kept.text = out.join('');
      }
      return kept.text;
    },
    callerJson(caller) {
      let text = callers.get(caller);
      if (text === undefined) callers.set(caller, (text = asciiJson(JSON.stringify(callerView(caller)))));
      return text;
    },
    legacyPython,
    legacyNearest(caches) {
      let text = legacyLists.get(caches);
      if (text === undefined) legacyLists.set(caches, (text = legacyNearestBody(caches, { legacyPython })));
      return text;
    },
    pacRules(lists, options) {
      const kept = pacTexts.get(lists.cvmfs);
      if (kept && sameList(kept.frontier, lists.frontier) && kept.direct === options.direct && kept.loadbalance === options.loadbalance) return kept.text;
      const text = pacRules({ cvmfs: lists.cvmfs.map(pacProxyOf), frontier: lists.frontier.map(pacProxyOf) }, options);
      pacTexts.set(lists.cvmfs, { frontier: lists.frontier, direct: options.direct, loadbalance: options.loadbalance, text });
      return text;
    },
    legacyPythonUnranked(entry, defaultMaxLoad) {
      let text = unranked.get(entry);
      if (text === undefined) unranked.set(entry, (text = pyDumps(legacyEntry(entry, null, defaultMaxLoad))));
      return text;
    },
  };
}

/**
 * A stand-in ranked cache with every field a view writes (and the measures told apart: a distance that is
 * not the score, a local that is not the default), to check the templates with when a route is built.
 */
function probeCache(): RankedCache {
  const parsed = parseHeartbeat({
    uuid: 'template-probe',
    hostname: 'probe.example',
    cache_port: 3128,
    max_load: 1000,
    load: 10,
    timestamp: 1,
    public_ip: '192.0.2.1',
    private_ip: '10.0.0.1',
    external_ip: '192.0.2.2',
    site: 'probe',
    status_reason: 'probe',
  });
  if (!parsed.ok) throw new Error(`view cache: the template probe does not parse (${parsed.field}: ${parsed.reason})`);
  const location = { latitude: 1.5, longitude: 2.5, city: 'c', regionCode: 'r', countryCode: 'CC', countryName: 'n', continent: 'EU', timeZone: 'z', postalCode: 'p', metroCode: 1, source: 'geoip' as const };
  const entry: CacheEntry = { id: 'template-probe', heartbeat: parsed.heartbeat, location, unit: null, createdMs: 1000, lastActiveMs: 2000, verification: null, signedBy: null };
  return { entry, distanceKm: 123.45, score: 0.25, local: true, maxLoad: 1000, host: parsed.heartbeat.hostname, site: 'probe', degraded: false };
}

/**
 * Each template filled must be its view serialised whole. Checked once per view cache (so when the routes
 * are built, at startup), not at the first lookup: a view whose fields no longer match its hole list (one
 * added, renamed or moved) throws here.
 */
function checkTemplates(): void {
  const probe = probeCache();
  const nowMs = 5000;
  // A ranked list leaves only its caches' ages open, as their first hole (rankedListJson).
  if (RANKED_HOLES[0] !== 'last_heartbeat_age_s') throw new Error('view cache: the heartbeat age is no longer the first hole of a ranked cache');
  const ranked = fillTemplate(buildTemplate(rankedView(probe, nowMs), RANKED_HOLES, JSON_FIELDS), rankedHoleValues(probe, nowMs));
  if (ranked !== asciiJson(JSON.stringify(rankedView(probe, nowMs)))) throw new Error('view cache: the ranked JSON template does not serialise as rankedView');
  const legacy = fillTemplate(buildTemplate(legacyEntry(probe.entry, probe) as Record<string, unknown>, LEGACY_HOLES, PYTHON_FIELDS), legacyHoleValues(probe));
  if (legacy !== pyDumps(legacyEntry(probe.entry, probe))) throw new Error('view cache: the legacy template does not serialise as legacyEntry');
}
