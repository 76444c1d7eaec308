import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { readTextIfExists, writeFileAtomic } from './config-file.js';

/** What a successful run leaves behind for the next run to fall back on. */
export const LastGoodSchema = z.object({
  version: z.literal(1),
  savedAt: z.string(),
  server: z.string().nullable(),
  /** Verified proxies in fail-over order, before site defaults and DIRECT. */
  proxies: z.array(z.string().regex(/^http:\/\/\S+$/)).min(1),
});
export type LastGood = z.infer<typeof LastGoodSchema>;

export interface LastGoodStore {
  /** The saved list, or null when there is none or it is unreadable (which is logged by the caller). */
  load(): Promise<{ value: LastGood | null; error: string | null }>;
  save(value: LastGood): Promise<void>;
}

export function createLastGoodStore(path: string): LastGoodStore {
  return {
    async load() {
      try {
        const text = await readTextIfExists(path);
        if (text === null) return { value: null, error: null };
        const parsed = LastGoodSchema.safeParse(JSON.parse(text));
        return parsed.success ? { value: parsed.data, error: null } : { value: null, error: `${path}: not a last-good list` };
      } catch (error) {
        return { value: null, error: `${path}: ${(error as Error).message}` };
      }
    },
    async save(value) {
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644 });
    },
  };
}
