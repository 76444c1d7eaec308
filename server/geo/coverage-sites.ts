import { watchFile, unwatchFile, type Stats } from 'node:fs';
import type { Logger } from '../../shared/logger.js';
import { loadCoverage, type Coverage } from './coverage.js';
import { createNetworkMatcher, type NetworkMatcher } from './networks.js';
import { createLocality, type Locality } from './sites.js';

/** The locality of a server, following its coverage file. */
export interface WatchedLocality extends Locality {
  /** Every network of the coverage file in use, as one matcher that follows reloads (the verifier's probe policy). */
  networks: NetworkMatcher;
  /** Read the file again now; a file that does not read or validate keeps the coverage in use (and is logged). */
  reload(): boolean;
  /** How many times a changed file was loaded since start. */
  reloads(): number;
  close(): void;
}

/**
 * The locality of a server: the coverage file (if any) read at start, where a bad file stops the start,
 * and again whenever it changes on disk, as the GeoIP file is (geoip-watch.ts): the new coverage is
 * validated whole and swapped in with one assignment, so a lookup sees the old or the new file, never a
 * mixture; a file that does not read or validate (still being written, a typo) is logged and the coverage
 * in use stays. Polling (`fs.watchFile`), which survives the file being replaced by a rename.
 */
export function createCoverageLocality(options: { path: string; intervalMs: number; logger: Logger }): WatchedLocality {
  const { path } = options;
  const log = options.logger.child({ component: 'coverage' });
  const describe = (coverage: Coverage) => {
    const sites = Object.keys(coverage);
    return { path, sites: sites.length, networks: sites.reduce((n, s) => n + (coverage[s]?.length ?? 0), 0) };
  };
  const initial = loadCoverage(path);
  let current = createLocality(initial);
  let matcher = networksOf(initial);
  let reloads = 0;
  if (path !== '') log.info(describe(initial), 'coverage file loaded');

  const reload = (): boolean => {
    let coverage: Coverage;
    try {
      coverage = loadCoverage(path);
    } catch (error) {
      log.warn({ path, err: (error as Error).message }, 'coverage file changed but does not load; keeping the one in use');
      return false;
    }
    current = createLocality(coverage);
    matcher = networksOf(coverage);
    reloads++;
    log.info(describe(coverage), 'coverage file reloaded');
    return true;
  };

  const onChange = (now: Stats, before: Stats) => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
    if (now.nlink === 0 && now.size === 0) return; // removed: keep the coverage in use until a new file appears
    reload();
  };
  if (path !== '') watchFile(path, { interval: options.intervalMs, persistent: false }, onChange);

  return {
    index: (snapshot, changedSlots) => current.index(snapshot, changedSlots),
    networks: {
      has: (address) => matcher.has(address),
      get size() {
        return matcher.size;
      },
    },
    reload,
    reloads: () => reloads,
    close: () => {
      if (path !== '') unwatchFile(path, onChange);
    },
  };
}

function networksOf(coverage: Coverage): NetworkMatcher {
  return createNetworkMatcher(Object.values(coverage).flat());
}
