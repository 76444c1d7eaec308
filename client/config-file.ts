import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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

/**
 * Replaces a file atomically: temp file in the same directory, fsync, rename, fsync the directory.
 * A crash at any point leaves either the old file or the new one, never a half-written one.
 */
export async function writeFileAtomic(path: string, content: string, options: { mode?: number; beforeRename?: () => Promise<void> } = {}): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await options.beforeRename?.();
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
