import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

/**
 * A new directory `<prefix>XXXXXX` in the system temp directory. Every one is removed when its test file
 * ends (test/support/temp-cleanup.ts, a vitest setup file): keys, certificates and keyrings written for a
 * test do not outlive it.
 */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Removes every directory makeTempDir made (and what is in it). */
export async function removeTempDirs(): Promise<void> {
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}
