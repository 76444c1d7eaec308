import type { Caller, LookupQuery, LookupService, RankedCache } from './nearest.js';

/**
 * A list per upstream the query asks for (`any`: both), so each kind of URL gets caches that serve it:
 * the lists of a PAC file, which routes CVMFS and Frontier URLs apart. An upstream not asked for is empty.
 * Both lists come from one walk of the index (nearestEach).
 */
export function nearestByUpstream(
  lookup: Pick<LookupService, 'nearestEach'>,
  caller: Caller,
  query: Pick<LookupQuery, 'count' | 'type' | 'verifiedOnly' | 'upstream'>,
): { cvmfs: RankedCache[]; frontier: RankedCache[] } {
  const upstreams = (['cvmfs', 'frontier'] as const).filter((u) => query.upstream === 'any' || query.upstream === u);
  const answers = lookup.nearestEach(upstreams.map((upstream) => ({ caller, count: query.count, type: query.type, verifiedOnly: query.verifiedOnly, upstream })));
  const listOf = (upstream: 'cvmfs' | 'frontier') => {
    const at = upstreams.indexOf(upstream);
    return at === -1 ? [] : (answers[at]?.caches ?? []);
  };
  return { cvmfs: listOf('cvmfs'), frontier: listOf('frontier') };
}
