import { Hono } from 'hono';
import { z } from 'zod';
import { resolveCaller } from '../../lookup/caller.js';
import type { ServerDeps } from '../deps.js';
import { fastResponse, wireHeaders } from '../fast-response.js';
import { createPathParser } from '../parse.js';
import { legacyAllBody } from '../../render/legacy.js';
import { recordLookup } from '../respond.js';
import { createViewCache } from '../../render/view-cache.js';
import type { LookupQuery } from '../../lookup/nearest.js';
import { refusesUnknownCaller } from '../unknown-caller.js';

/** Counts above this are clamped: the original had no limit, but nothing needs more. */
const MAX_LEGACY_COUNT = 100;
const ORIGINAL_DEFAULT_COUNT = 5;

type Filter = Pick<LookupQuery, 'upstream' | 'type' | 'verifiedOnly'>;

/**
 * As the original's lookups: `/nearest` and `/nearestverified` list Squids only, of any upstream;
 * `/nearestcvmfs` and `/nearestconditions` caches of that upstream (or `both`), of any type.
 */
const NEAREST_ROUTES: Record<string, Filter> = {
  nearest: { upstream: 'any', type: 'squid', verifiedOnly: false },
  nearestverified: { upstream: 'any', type: 'squid', verifiedOnly: true },
  nearestcvmfs: { upstream: 'cvmfs', type: 'any', verifiedOnly: false },
  nearestconditions: { upstream: 'frontier', type: 'any', verifiedOnly: false },
};

/** `/name`, `/name/`, `/name/<n>`, `/name/<n>/`: the original accepted all four. */
function paths(name: string): string[] {
  return [`/${name}`, `/${name}/`, `/${name}/:count{[0-9]+}`, `/${name}/:count{[0-9]+}/`];
}

/** `<n>` of those paths (the router takes digits only); absent: the original's 5. */
const CountPathSchema = z.object({
  count: z
    .string()
    .regex(/^[0-9]+$/, { error: 'must be a whole number' })
    .transform((raw) => Math.min(Number(raw), MAX_LEGACY_COUNT))
    .default(ORIGINAL_DEFAULT_COUNT),
});

/** The original Shoal's routes, byte-compatible with what its clients parse. */
export function createLegacyRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  const headers = wireHeaders({ 'Content-Type': 'application/json', 'Cache-Control': 'private, max-age=30' });
  const json = (body: string) => fastResponse(body, headers);
  const views = createViewCache();
  const countPath = createPathParser(CountPathSchema);

  for (const [name, filter] of Object.entries(NEAREST_ROUTES)) {
    for (const path of paths(name)) {
      app.get(path, (c) => {
        const started = performance.now();
        const caller = resolveCaller(c, deps, {});
        const count = countPath(c).count;
        // A caller the original could not place got `null` (--unknown-caller anchor), so its client fell back to its defaults.
        if (refusesUnknownCaller(deps.unknownCaller, caller)) {
          recordLookup(deps.metrics, name, started, 0, false);
          return json('null');
        }
        const result = deps.lookup.nearest({ caller, count, ...filter });
        // As before, the original's routes report found or empty, never degraded (the answers issue may change that).
        recordLookup(deps.metrics, name, started, result.caches.length, false);
        return json(views.legacyNearest(result.caches));
      });
    }
  }

  for (const path of paths('all')) {
    app.get(path, () => {
      const entries = deps.registry.snapshot();
      // Serialised once per entry (its names and addresses checked once), as the nearest routes' entries are.
      const body = legacyAllBody(entries, views, deps.defaultMaxLoad);
      recordLookup(deps.metrics, 'all', null, entries.length, false); // it ranks nothing: no duration
      return json(body);
    });
  }

  return app;
}
