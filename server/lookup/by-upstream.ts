import type { Caller, LookupQuery, LookupService, RankedCache } from './nearest.js';

/**
 * A lookup per upstream the query asks for (`any`: both), so each kind of URL gets caches that serve it:
 * the lists of a PAC file, which routes CVMFS and Frontier URLs apart. An upstream not asked for is empty.
 */
export function nearestByUpstream(
  lookup: Pick<LookupService, 'nearest'>,
  caller: Caller,
  query: Pick<LookupQuery, 'count' | 'type' | 'verifiedOnly' | 'upstream'>,
): { cvmfs: RankedCache[]; frontier: RankedCache[] } {
  const nearest = (upstream: 'cvmfs' | 'frontier') =>
    query.upstream === 'any' || query.upstream === upstream
      ? lookup.nearest({ caller, count: query.count, type: query.type, verifiedOnly: query.verifiedOnly, upstream }).caches
      : [];
  return { cvmfs: nearest('cvmfs'), frontier: nearest('frontier') };
}
