import { stat } from 'node:fs/promises';
import { getConfigValue, readTextIfExists, setConfigValue, writeFileAtomic } from './config-file.js';
import type { WrittenConfig } from './last-good.js';
import { assertCvmfsValue } from './proxy-member.js';

export const CVMFS_PROXY_KEY = 'CVMFS_HTTP_PROXY';

/**
 * Writes `CVMFS_HTTP_PROXY` into the CVMFS config file atomically, changing only that line and keeping
 * every other byte; writes nothing when the file already holds the value. `beforeRename` runs between
 * the synced temp file and the rename (tests use it to simulate a crash there).
 */
export async function writeProxy(path: string, value: string, options: { beforeRename?: () => Promise<void> } = {}): Promise<boolean> {
  // The last check: bash sources this file as root, and an empty or broken value would stop CVMFS from
  // mounting (worse than an old list). Only canonical members and DIRECT, or nothing is written.
  assertCvmfsValue(value);
  const current = await readTextIfExists(path);
  if (current !== null && getConfigValue(current, CVMFS_PROXY_KEY) === value) return false;
  const mode = current === null ? 0o644 : (await stat(path)).mode & 0o777;
  await writeFileAtomic(path, setConfigValue(current ?? '', CVMFS_PROXY_KEY, value), { mode, ...(options.beforeRename ? { beforeRename: options.beforeRename } : {}) });
  return true;
}

/**
 * The site's own CVMFS_HTTP_PROXY, the site default when none is configured (as the original client read
 * it from default.local): what the file holds, unless it holds what shoal-client last wrote there, in
 * which case what it held before shoal-client first wrote it. Null when the file has none (or cannot be read).
 */
export async function siteDefaultOf(path: string, last: WrittenConfig | null): Promise<string | null> {
  const text = await readTextIfExists(path).catch(() => null);
  const current = text === null ? null : getConfigValue(text, CVMFS_PROXY_KEY);
  if (last !== null && last.path === path && last.written === current) return last.siteDefault;
  return current;
}
