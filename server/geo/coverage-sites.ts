import type { Logger } from '../../shared/logger.js';
import { loadCoverage } from './coverage.js';
import { createLocality, type Locality } from './sites.js';

/** The locality of a server: the coverage file (if any) read once at start; a bad file stops the start. */
export function createCoverageLocality(path: string, logger: Logger): Locality {
  const coverage = loadCoverage(path);
  if (path !== '') {
    const sites = Object.keys(coverage);
    logger.info({ path, sites: sites.length, networks: sites.reduce((n, s) => n + (coverage[s]?.length ?? 0), 0) }, 'coverage file loaded');
  }
  return createLocality(coverage);
}
