import { open, readdir, readFile, readlink, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Sets `KEY=value` in shell-style config text, changing only that line (the last one, which is the one
 * that counts) and keeping every other byte. Appends the line when the key is absent.
 */
export function setConfigValue(text: string, key: string, value: string): string {
  const line = `${key}=${quoteValue(value)}`;
  const lines = text.split('\n');
  const matcher = new RegExp(`^\\s*(export\\s+)?${key}=`);
  let last = -1;
  lines.forEach((l, i) => {
    if (matcher.test(l)) last = i;
  });
  if (last !== -1) {
    lines[last] = line;
    return lines.join('\n');
  }
  const base = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  return `${base}${line}\n`;
}

/** Current value of `KEY` in shell-style config text, quotes removed; null when absent. */
export function getConfigValue(text: string, key: string): string | null {
  let found: string | null = null;
  const matcher = new RegExp(`^\\s*(?:export\\s+)?${key}=(.*)$`);
  for (const l of text.split('\n')) {
    const m = matcher.exec(l);
    if (m) found = (m[1] as string).trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return found;
}

/** The file is sourced by a shell, where `;` and `|` are operators: always double-quote. */
function quoteValue(value: string): string {
  return `"${value.replace(/(["\\$`])/g, '\\$1')}"`;
}

export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Temp files are named for the process that writes them, so a later run can tell a dead writer's leftovers. */
const TEMP_TAG = '.shoal-tmp-';

/**
 * The file a write must replace: a symlinked config is written through to its target (followed to the
 * end, relative links from where they sit), so the link stays a link. A missing file is written as named.
 */
export async function finalTarget(path: string): Promise<string> {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      link = await readlink(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'ENOENT') return current; // not a link, or nothing there yet
      throw error;
    }
    current = resolve(dirname(current), link);
  }
  throw new Error(`${path}: too many levels of symbolic links`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // someone else's live process
  }
};

/** Removes temp files of `name` left by writers that died (kill -9, power loss); a live writer's is kept. */
export async function removeStaleTemps(dir: string, name: string): Promise<void> {
  const prefix = `.${name}${TEMP_TAG}`;
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) continue;
    await unlink(join(dir, entry)).catch(() => undefined);
  }
}

/**
 * Replaces a file atomically: temp file `.<name>.shoal-tmp-<pid>` in the target's directory, fsync,
 * rename, fsync the directory. A crash at any point leaves either the old file or the new one, never a
 * half-written one; a failure (a full disk) removes the temp file, and a temp file a killed run left is
 * removed by the next write.
 */
export async function writeFileAtomic(path: string, content: string, options: { mode?: number; beforeRename?: () => Promise<void> } = {}): Promise<void> {
  const target = await finalTarget(path);
  const dir = dirname(target);
  await removeStaleTemps(dir, basename(target));
  const temp = join(dir, `.${basename(target)}${TEMP_TAG}${process.pid}`);
  let renamed = false;
  try {
    const handle = await open(temp, 'wx', options.mode ?? 0o644);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.beforeRename?.();
    await rename(temp, target);
    renamed = true;
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
