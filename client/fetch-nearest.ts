import { z } from 'zod';
import { parsePort, parseProxyHost, type Port, type ProxyHost } from '../shared/identity.js';
import { NOT_A_MEMBER, parseProxyMember, printable, type ProxyUrl, type RejectedMember } from './proxy-member.js';

/**
 * The part of `/api/v1/nearest` the client relies on; anything else in the answer is ignored. The envelope
 * must match; the caches are read one by one (cacheFrom), so one bad entry costs only itself.
 */
const AnswerEnvelopeSchema = z.object({
  caller: z.object({ ip: z.string().nullable(), located_by: z.string() }).loose(),
  note: z.string().nullable().optional(),
  caches: z.array(z.unknown()),
});

const CacheEntrySchema = z
  .object({
    hostname: z.unknown(),
    port: z.unknown(),
    proxy: z.unknown(),
    distance_km: z.number().nullable(),
    load: z.number(),
    score: z.number().nullable().optional(),
    local: z.boolean().nullable().optional(),
  })
  .loose();

/** One cache of the answer after its checks: `proxy` is the member rebuilt from typed values. */
export interface NearestCache {
  hostname: ProxyHost;
  port: Port;
  proxy: ProxyUrl;
  distance_km: number | null;
  load: number;
  score?: number | null | undefined;
  local?: boolean | null | undefined;
  /** Whatever else the server said about it, as it came. */
  [key: string]: unknown;
}

export interface NearestAnswer {
  caller: z.infer<typeof AnswerEnvelopeSchema>['caller'];
  note?: string | null | undefined;
  /** The caches that passed, in the server's order. */
  caches: NearestCache[];
}

/** The cache an answer entry describes, or why it is refused. */
export function cacheFrom(entry: unknown): { cache: NearestCache } | { rejected: Omit<RejectedMember, 'source'> } {
  const named = (entry as { proxy?: unknown } | null)?.proxy;
  const refuse = (reason: string) => ({ rejected: { member: printable(named ?? entry), reason } });
  const parsed = CacheEntrySchema.safeParse(entry);
  if (!parsed.success) return refuse(`entry does not match the answer schema: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  const member = parseProxyMember(parsed.data.proxy);
  if (member === null) return refuse(`proxy is ${NOT_A_MEMBER}`);
  const hostname = parseProxyHost(parsed.data.hostname);
  if (hostname === null) return refuse(`hostname ${printable(parsed.data.hostname)} is not a DNS name or IP literal`);
  const port = parsePort(parsed.data.port);
  if (port === null) return refuse(`port ${printable(parsed.data.port)} is not a whole number from 1 to 65535`);
  return { cache: { ...parsed.data, hostname, port, proxy: member.url } };
}

export interface ServerAttempt {
  server: string;
  error: string;
  /** How many caches of its answer were refused, when that is why the server was passed over. */
  refused?: number;
}

export type FetchResult = { ok: true; server: string; answer: NearestAnswer; attempts: ServerAttempt[] } | { ok: false; attempts: ServerAttempt[] };

/**
 * Asks each server in order until one gives a valid answer. Each has its own timeout, cut short by the
 * run's deadline; servers left when the deadline has passed are not asked.
 */
export async function fetchNearest(options: {
  servers: readonly string[];
  count: number;
  timeoutMs: number;
  upstream?: 'cvmfs' | 'frontier' | 'any';
  /** Epoch ms after which no server is asked; with `now`. */
  deadlineMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
  /** Told of each cache refused (bad member, hostname or port); the others are kept. */
  onRejected?: (rejected: RejectedMember) => void;
}): Promise<FetchResult> {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const attempts: ServerAttempt[] = [];
  for (const server of options.servers) {
    const left = options.deadlineMs === undefined ? options.timeoutMs : options.deadlineMs - now();
    if (left <= 0) {
      attempts.push({ server, error: 'not asked: the run is out of time' });
      continue;
    }
    const timeoutMs = Math.min(options.timeoutMs, left);
    const query = new URLSearchParams({ count: String(options.count), ...(options.upstream ? { upstream: options.upstream } : {}) });
    const url = `${server.replace(/\/+$/, '')}/api/v1/nearest?${query}`;
    try {
      const response = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const parsed = AnswerEnvelopeSchema.safeParse(await response.json());
      if (!parsed.success) throw new Error(`unexpected answer: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
      const caches: NearestCache[] = [];
      for (const entry of parsed.data.caches) {
        const read = cacheFrom(entry);
        if ('cache' in read) caches.push(read.cache);
        else options.onRejected?.({ source: 'server', ...read.rejected });
      }
      const refused = parsed.data.caches.length - caches.length;
      // Nothing valid left: this answer is refused, and the next server (if any) is asked.
      if (refused > 0 && caches.length === 0) {
        attempts.push({ server, error: `every cache in the answer was refused (${refused})`, refused });
        continue;
      }
      return { ok: true, server, answer: { caller: parsed.data.caller, ...(parsed.data.note !== undefined ? { note: parsed.data.note } : {}), caches }, attempts };
    } catch (error) {
      const e = error as Error;
      const cause = (e.cause as Error | undefined)?.message;
      attempts.push({ server, error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : cause ? `${e.message}: ${cause}` : e.message });
    }
  }
  return { ok: false, attempts };
}
