import { Hono } from 'hono';
import { resolveCaller } from '../../lookup/caller.js';
import type { ServerDeps } from '../deps.js';
import { createQueryParser } from '../parse.js';
import { nearestByUpstream } from '../../lookup/by-upstream.js';
import { pacFile } from '../../render/pac.js';
import { createViewCache } from '../../render/view-cache.js';
import { pacResponse, recordLookup } from '../respond.js';
import { PacQuerySchema } from '../api-schemas.js';
import { refusesUnknownCaller, unknownCallerPacError } from '../unknown-caller.js';

/** The original served 10 caches in its wpad.dat. */
const PAC_DEFAULT_COUNT = 10;

/** `/wpad.dat` (the original's route, what WPAD discovery asks for) and `/proxy.pac`: the same PAC file. */
export function createPacRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  const pacQuery = createQueryParser(PacQuerySchema);
  const views = createViewCache();
  for (const path of ['/wpad.dat', '/proxy.pac']) {
    app.get(path, (c) => {
      const q = pacQuery(c);
      const started = performance.now();
      const caller = resolveCaller(c, deps, q);
      if (refusesUnknownCaller(deps.unknownCaller, caller)) {
        // As WLCG WPAD (and the CVMFS geo API) answer a client they cannot place: a 400, so CVMFS tries its
        // next PAC URL, then the proxies after `auto`, rather than caches ranked by load alone (--unknown-caller).
        recordLookup(deps.metrics, 'pac', started, 0, false);
        throw unknownCallerPacError(caller, q.ip !== undefined);
      }
      const lists = nearestByUpstream(deps.lookup, caller, { count: q.count ?? PAC_DEFAULT_COUNT, upstream: 'any', type: 'any', verifiedOnly: false });
      recordLookup(deps.metrics, 'pac', started, lists.cvmfs.length + lists.frontier.length, false); // found or empty, as before
      return pacResponse(pacFile(lists, caller, { direct: deps.pacDirect, loadbalance: q.loadbalance }, views));
    });
  }
  return app;
}
