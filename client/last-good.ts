import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { readTextIfExists, writeFileAtomic } from './config-file.js';
import { NOT_A_MEMBER, parseProxyMember, printable, type ProxyUrl, type RejectedMember } from './proxy-member.js';

/** The file as it may be found on disk: its proxies are read one by one, as the server's answer is. */
const LastGoodFileSchema = z.object({
  version: z.literal(1),
  savedAt: z.string(),
  server: z.string().nullable(),
  // Empty when a run wrote the CVMFS config from site defaults before any run found proxies.
  proxies: z.array(z.unknown()),
  cvmfsConfig: z.object({ path: z.string(), written: z.string(), siteDefault: z.string().nullable() }).optional(),
});

/**
 * What the client last wrote into the CVMFS config, and the file's own CVMFS_HTTP_PROXY from before
 * shoal-client first replaced it: the site default when none is configured (write-proxy.ts).
 */
export interface WrittenConfig {
  path: string;
  written: string;
  siteDefault: string | null;
}

/** What a successful run leaves behind for the next run to fall back on. */
export interface LastGood {
  version: 1;
  savedAt: string;
  server: string | null;
  /** Verified proxies in fail-over order, before site defaults and DIRECT. */
  proxies: ProxyUrl[];
}

/** The state file: the last good list (no proxies when there is none yet) and what was written. */
export interface ClientState extends LastGood {
  cvmfsConfig?: WrittenConfig;
}

export interface LastGoodLoad {
  /** The saved list with its valid proxies, or null when there is none, it is unreadable, or none is valid. */
  value: LastGood | null;
  /** Why there is no list although the file exists (logged by the caller). */
  error: string | null;
  /** Proxies in the file that are not members: dropped, the others kept. */
  rejected: RejectedMember[];
  /** What the last run wrote into the CVMFS config; null when not known. */
  written: WrittenConfig | null;
}

export interface LastGoodStore {
  load(): Promise<LastGoodLoad>;
  save(value: ClientState): Promise<void>;
}

export function createLastGoodStore(path: string): LastGoodStore {
  return {
    async load() {
      try {
        const text = await readTextIfExists(path);
        if (text === null) return { value: null, error: null, rejected: [], written: null };
        const parsed = LastGoodFileSchema.safeParse(JSON.parse(text));
        if (!parsed.success) return { value: null, error: `${path}: not a last-good list`, rejected: [], written: null };
        const { cvmfsConfig, ...list } = parsed.data;
        const written = cvmfsConfig ?? null;
        if (list.proxies.length === 0) return { value: null, error: null, rejected: [], written };
        const proxies: ProxyUrl[] = [];
        const rejected: RejectedMember[] = [];
        for (const p of parsed.data.proxies) {
          const member = parseProxyMember(p);
          if (member === null) rejected.push({ source: 'last-good', member: printable(p), reason: NOT_A_MEMBER });
          else if (!proxies.includes(member.url)) proxies.push(member.url);
        }
        if (proxies.length === 0) return { value: null, error: `${path}: no valid proxy in the last-good list`, rejected, written };
        return { value: { ...list, proxies }, error: null, rejected, written };
      } catch (error) {
        return { value: null, error: `${path}: ${printable((error as Error).message, 200)}`, rejected: [], written: null };
      }
    },
    async save(value) {
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644 });
    },
  };
}
