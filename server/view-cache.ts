import { LEGACY_HOLES, legacyDistance, legacyEntry, legacyLocal } from './legacy-view.js';
import type { RankedCache } from './lookup.js';
import { buildTemplate, fillTemplate, JSON_FIELDS, PYTHON_FIELDS, type ObjectTemplate } from './object-template.js';
import { pyDumps } from './python-json.js';
import type { CacheEntry } from './registry/types.js';
import { RANKED_HOLES, rankedFields, rankedView } from './views.js';

/**
 * Serialised views of ranked caches, with everything that depends on the entry alone serialised once per
 * entry. Keyed on the entry object: the registry never changes an entry, it puts a new object in its
 * place on every heartbeat or verification, so an entry's text can never go stale, and a WeakMap lets
 * it go with the entry.
 */
export interface ViewCache {
  /** `JSON.stringify(rankedView(r, nowMs))`. */
  rankedJson(r: RankedCache, nowMs: number): string;
  /** `pyDumps(legacyEntry(r.entry, r))`. */
  legacyPython(r: Pick<RankedCache, 'entry' | 'score' | 'local'>): string;
}

export function createViewCache(): ViewCache {
  const ranked = new WeakMap<CacheEntry, ObjectTemplate>();
  const legacy = new WeakMap<CacheEntry, ObjectTemplate>();
  return {
    rankedJson(r, nowMs) {
      let template = ranked.get(r.entry);
      if (!template) {
        template = buildTemplate(rankedView(r, nowMs), RANKED_HOLES, JSON_FIELDS);
        ranked.set(r.entry, template);
      }
      const fields = rankedFields(r, nowMs);
      const values: string[] = [];
      for (const hole of RANKED_HOLES) values.push(JSON.stringify(fields[hole]));
      return fillTemplate(template, values);
    },
    legacyPython(r) {
      let template = legacy.get(r.entry);
      if (!template) {
        template = buildTemplate(legacyEntry(r.entry, r) as Record<string, unknown>, LEGACY_HOLES, PYTHON_FIELDS);
        legacy.set(r.entry, template);
      }
      return fillTemplate(template, [pyDumps(legacyDistance(r)), pyDumps(legacyLocal(r))]);
    },
  };
}
