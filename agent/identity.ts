import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The agent's uuid, kept in a state file so a restart republishes under the same id instead of
 * leaving a ghost entry for the TTL. Written atomically (temp file + rename).
 */
export async function loadOrCreateUuid(stateFile: string): Promise<string> {
  try {
    const existing = (await readFile(stateFile, 'utf8')).trim();
    if (/^[\w.:-]{1,128}$/.test(existing)) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const uuid = randomUUID().replaceAll('-', '');
  await mkdir(dirname(stateFile), { recursive: true });
  const temp = `${stateFile}.${process.pid}.tmp`;
  await writeFile(temp, `${uuid}\n`, { mode: 0o644 });
  await rename(temp, stateFile);
  return uuid;
}
