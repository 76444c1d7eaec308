import { parseHeartbeat } from '../../shared/heartbeat.js';
import type { RankedCache } from '../lookup/nearest.js';
import type { CacheEntry } from '../model/cache.js';
import { asciiJson } from './ascii-json.js';
import { RANKED_HOLES, rankedHoleValues, rankedView } from './json.js';
import { LEGACY_HOLES, legacyEntry, legacyHoleValues } from './legacy.js';
import { pyDumps } from './python-json.js';
import { appendFilled, buildTemplate, fillTemplate, JSON_FIELDS, PYTHON_FIELDS, type ObjectTemplate } from './template.js';

/**
 * Serialised views of ranked caches, with everything that depends on the entry alone serialised once per
 * entry: the caches of `/api/v1/nearest` (json.ts) and of the original's routes (legacy.ts), one view
 * cache per route module, built when the routes are (and its templates checked then: `checkTemplates`).
 * Keyed on the entry object: the registry never changes an entry, it puts a new object in its place on
 * every heartbeat or verification, so an entry's text can never go stale, and a WeakMap lets it go with
 * the entry.
 */
export interface ViewCache {
  /** `asciiJson(JSON.stringify(rankedView(r, nowMs)))` pushed onto `out` in pieces, for an answer joined once. */
  appendRankedJson(out: string[], r: RankedCache, nowMs: number): void;
  /** `pyDumps(legacyEntry(r.entry, r))`. */
  legacyPython(r: Pick<RankedCache, 'entry' | 'score' | 'local' | 'maxLoad'>): string;
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

const sameView = (a: RankedTemplate['seen'], r: RankedCache) => a.host === r.host && a.site === r.site && a.degraded === r.degraded && a.maxLoad === r.maxLoad;

/** Builds the cache of serialised views; throws when a view no longer fits its holes (see `checkTemplates`). */
export function createViewCache(): ViewCache {
  checkTemplates();
  // Usually one template per entry; a cache that callers inside and outside its site both see has two.
  const ranked = new WeakMap<CacheEntry, RankedTemplate[]>();
  // With the max load it was made for: the one figure of a legacy entry that comes from the lookup but is not a hole.
  const legacy = new WeakMap<CacheEntry, ObjectTemplate & { readonly maxLoad: number }>();
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
  return {
    appendRankedJson(out, r, nowMs) {
      appendFilled(out, rankedTemplate(r, nowMs), rankedHoleValues(r, nowMs));
    },
    legacyPython(r) {
      let template = legacy.get(r.entry);
      if (!template || template.maxLoad !== r.maxLoad) {
        const built = buildTemplate(legacyEntry(r.entry, r) as Record<string, unknown>, LEGACY_HOLES, PYTHON_FIELDS);
        template = { holes: built.holes, parts: built.parts, maxLoad: r.maxLoad };
        legacy.set(r.entry, template);
      }
      return fillTemplate(template, legacyHoleValues(r));
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
  const ranked = fillTemplate(buildTemplate(rankedView(probe, nowMs), RANKED_HOLES, JSON_FIELDS), rankedHoleValues(probe, nowMs));
  if (ranked !== asciiJson(JSON.stringify(rankedView(probe, nowMs)))) throw new Error('view cache: the ranked JSON template does not serialise as rankedView');
  const legacy = fillTemplate(buildTemplate(legacyEntry(probe.entry, probe) as Record<string, unknown>, LEGACY_HOLES, PYTHON_FIELDS), legacyHoleValues(probe));
  if (legacy !== pyDumps(legacyEntry(probe.entry, probe))) throw new Error('view cache: the legacy template does not serialise as legacyEntry');
}
