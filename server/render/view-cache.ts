import { LEGACY_HOLES, legacyDistance, legacyEntry, legacyLocal } from './legacy.js';
import type { RankedCache } from '../lookup/nearest.js';
import { appendFilled, buildTemplate, fillTemplate, JSON_FIELDS, PYTHON_FIELDS, type ObjectTemplate } from './template.js';
import { pyDumps } from './python-json.js';
import type { CacheEntry } from '../model/cache.js';
import { RANKED_HOLES, rankedMeasures, rankedView } from './json.js';

/**
 * Serialised views of ranked caches, with everything that depends on the entry alone serialised once per
 * entry. Keyed on the entry object: the registry never changes an entry, it puts a new object in its
 * place on every heartbeat or verification, so an entry's text can never go stale, and a WeakMap lets
 * it go with the entry.
 */
export interface ViewCache {
  /** `asciiJson(JSON.stringify(rankedView(r, nowMs)))` pushed onto `out` in pieces, for an answer joined once. */
  appendRankedJson(out: string[], r: RankedCache, nowMs: number): void;
  /** `pyDumps(legacyEntry(r.entry, r))`. */
  legacyPython(r: Pick<RankedCache, 'entry' | 'score' | 'local'>): string;
  /** `pyDumps(legacyEntry(entry, null))`: an entry outside any lookup, as `/all` lists it. */
  legacyPythonUnranked(entry: CacheEntry): string;
}

/**
 * A ranked template holds, besides the entry, how one lookup saw the cache (`RankedCache` fields that are
 * not measures); a lookup that sees it the same way (nearly all do) fills only the measures.
 */
interface RankedTemplate extends ObjectTemplate {
  readonly seen: Pick<RankedCache, 'host' | 'site' | 'degraded' | 'maxLoad'>;
}

const sameView = (a: RankedTemplate['seen'], r: RankedCache) => a.host === r.host && a.site === r.site && a.degraded === r.degraded && a.maxLoad === r.maxLoad;

/** `JSON.stringify` of a measure (a number, a boolean or null), without its general machinery. */
const jsonScalar = (v: number | boolean | null) => (typeof v === 'number' && !Number.isFinite(v) ? 'null' : String(v));

export function createViewCache(): ViewCache {
  // Usually one template per entry; a cache that callers inside and outside its site both see has two.
  const ranked = new WeakMap<CacheEntry, RankedTemplate[]>();
  const legacy = new WeakMap<CacheEntry, ObjectTemplate>();
  const unranked = new WeakMap<CacheEntry, string>();
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
  const rankedValues = (r: RankedCache, nowMs: number) => {
    const m = rankedMeasures(r, nowMs);
    return RANKED_HOLES.map((hole) => jsonScalar(m[hole]));
  };
  return {
    appendRankedJson(out, r, nowMs) {
      appendFilled(out, rankedTemplate(r, nowMs), rankedValues(r, nowMs));
    },
    legacyPython(r) {
      let template = legacy.get(r.entry);
      if (!template) {
        template = buildTemplate(legacyEntry(r.entry, r) as Record<string, unknown>, LEGACY_HOLES, PYTHON_FIELDS);
        legacy.set(r.entry, template);
      }
      return fillTemplate(template, [pyDumps(legacyDistance(r)), pyDumps(legacyLocal(r))]);
    },
    legacyPythonUnranked(entry) {
      let text = unranked.get(entry);
      if (text === undefined) unranked.set(entry, (text = pyDumps(legacyEntry(entry, null))));
      return text;
    },
  };
}
