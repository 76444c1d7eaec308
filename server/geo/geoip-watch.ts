import { watchFile, unwatchFile, type Stats } from 'node:fs';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { openGeoIp, type GeoIp } from './geoip.js';

export interface WatchedGeoIp extends GeoIp {
  /** When the database in use was loaded (ms, injected clock). */
  loadedAt(): number;
  /** How many times a changed file was loaded since start. */
  reloads(): number;
  /** Read the file again now; keeps the old database if the new one does not open. Resolves once every `onReload` listener has. */
  reload(): Promise<boolean>;
  /** Call `listener` after each database swapped in (what depends on locations: `relocateCaches`). */
  onReload(listener: () => Promise<void> | void): void;
  close(): void;
}

/**
 * A GeoIP database that follows its file: when the file changes on disk (replaced by a rename, as
 * geoipupdate does, or rewritten in place) the new one is opened beside the old and swapped in with
 * one assignment, so no request ever sees a half-loaded database. A file that does not open (still
 * being written) is logged and the old database keeps serving; the next change tries again.
 * Polling (`fs.watchFile`) rather than `fs.watch`, which loses the file after a rename.
 */
export async function openWatchedGeoIp(options: { path: string; intervalMs: number; logger: Logger; clock: Clock }): Promise<WatchedGeoIp> {
  const { path, logger, clock } = options;
  const log = logger.child({ component: 'geoip' });
  let current = await openGeoIp(path, log);
  let loadedAt = clock.now();
  let reloads = 0;
  let loading: Promise<boolean> | null = null;
  // A change seen while a load runs (the file still being written) gets a load of its own afterwards.
  let changedWhileLoading = false;
  const listeners: (() => Promise<void> | void)[] = [];

  const load = (): Promise<boolean> =>
    openGeoIp(path, log)
      .then(async (next) => {
        current = next;
        loadedAt = clock.now();
        reloads++;
        for (const listener of listeners) {
          try {
            await listener();
          } catch (error) {
            log.error({ err: error }, 'after a GeoIP reload: a listener failed');
          }
        }
        return true;
      })
      .catch((error: unknown) => {
        log.warn({ path, err: (error as Error).message }, 'GeoIP database changed but does not open; keeping the one loaded');
        return false;
      });

  const reload = (): Promise<boolean> => {
    if (loading) {
      changedWhileLoading = true;
      return loading;
    }
    loading = load().then(async (ok) => {
      while (changedWhileLoading) {
        changedWhileLoading = false;
        ok = await load();
      }
      loading = null;
      return ok;
    });
    return loading;
  };

  const onChange = (now: Stats, before: Stats) => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
    if (now.nlink === 0 && now.size === 0) return; // removed: keep serving until a new file appears
    void reload();
  };
  watchFile(path, { interval: options.intervalMs, persistent: false }, onChange);

  return {
    lookup: (address) => current.lookup(address),
    builtAt: () => current.builtAt(),
    path: () => path,
    loadedAt: () => loadedAt,
    reloads: () => reloads,
    reload,
    onReload: (listener) => void listeners.push(listener),
    close: () => unwatchFile(path, onChange),
  };
}
