import { z } from 'zod';
import { parsePort, parseProxyHost, type Port, type ProxyHost } from '../shared/identity.js';
import { memberOf, NOT_A_MEMBER, parseProxyMember, printable, type ProxyUrl, type RejectedMember } from './proxy-member.js';

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
  /** Set when an original Shoal server answered: the route asked (e.g. `/nearestcvmfs/8/`). */
  original_route?: string;
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

/** The original server's lookup routes (DESIGN.md, wire compatibility). */
export type OriginalRoute = 'nearest' | 'nearestverified' | 'nearestcvmfs' | 'nearestconditions';

const ORIGINAL_ROUTE_PATH = /\/(nearest|nearestverified|nearestcvmfs|nearestconditions)(?:\/\d*)?\/?$/;

/**
 * A `--server` URL as a base URL, and the original route it names, if any: the original client's
 * `cvmfs_url` is `http://host/nearestcvmfs` (it appends `/<n>/`), its older `shoal_server_url`
 * `http://host/nearest`.
 */
export function serverTarget(server: string): { base: string; route: OriginalRoute | null } {
  const m = ORIGINAL_ROUTE_PATH.exec(server);
  return { base: (m ? server.slice(0, m.index) : server).replace(/\/+$/, ''), route: m ? (m[1] as OriginalRoute) : null };
}

/**
 * The route asked of an original server: Frontier conditions with --frontier, else the CVMFS one, unless
 * the URL names `/nearest` or `/nearestverified` (what older configs name, and older servers have).
 */
export function originalRoute(named: OriginalRoute | null, upstream: 'cvmfs' | 'frontier' | 'any' | undefined): OriginalRoute {
  if (upstream === 'frontier') return 'nearestconditions';
  if (named === 'nearest' || named === 'nearestverified') return named;
  return upstream === 'cvmfs' ? 'nearestcvmfs' : (named ?? 'nearest');
}

/** The part of an original answer's entry the client relies on (hostname, squid_port, addresses, ...). */
const OriginalEntrySchema = z
  .object({
    hostname: z.unknown(),
    squid_port: z.unknown(),
    public_ip: z.unknown().optional(),
    private_ip: z.unknown().optional(),
    load: z.number().nullable().optional(),
    distance: z.number().nullable().optional(),
    local: z.unknown().optional(),
  })
  .loose();

/**
 * The cache of one entry of an original answer, or why it is refused. As the original client, it connects
 * to `public_ip` (the private address of a cache marked local); the member is checked as every other.
 * `distance` there is the ranking cost, so it is the score.
 */
export function originalCacheFrom(entry: unknown): { cache: NearestCache } | { rejected: Omit<RejectedMember, 'source'> } {
  const parsed = OriginalEntrySchema.safeParse(entry);
  if (!parsed.success) return { rejected: { member: printable(entry), reason: `entry does not match the original answer: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}` } };
  const e = parsed.data;
  const local = e.local === true;
  const address = local && e.private_ip ? e.private_ip : e.public_ip;
  if (address === null || address === undefined || address === '') return { rejected: { member: printable(e.hostname), reason: 'entry has no public_ip (nor, for a local cache, a private_ip)' } };
  const member = memberOf(address, e.squid_port);
  if (member === null) return { rejected: { member: printable(`${String(address)}:${String(e.squid_port)}`), reason: `public_ip:squid_port is ${NOT_A_MEMBER}` } };
  return { cache: { ...e, hostname: parseProxyHost(e.hostname) ?? member.host, port: member.port, proxy: member.url, distance_km: null, load: e.load ?? 0, score: e.distance ?? null, local } };
}

/** The entries of an original answer: `null`, or an object keyed "0", "1", ... in that order. */
function originalEntries(body: unknown): unknown[] {
  if (body === null) return [];
  const keys = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : null;
  if (keys === null || !keys.every((k) => /^\d+$/.test(k))) throw new Error('unexpected answer: neither null nor the original\'s object keyed "0", "1", ...');
  return keys.sort((a, b) => Number(a) - Number(b)).map((k) => (body as Record<string, unknown>)[k]);
}

/**
 * Asks each server in order until one gives a valid answer. Each has its own timeout, cut short by the
 * run's deadline; servers left when the deadline has passed are not asked. A server with no `/api/v1`
 * (HTTP 404: an original Shoal server) is asked its original route instead, within the same timeout, so
 * clients can be upgraded before the server.
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
  /** Told what was done with a server URL: an original route URL taken as its base, an original server's route asked. */
  onNote?: (note: { server: string; message: string }) => void;
}): Promise<FetchResult> {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const attempts: ServerAttempt[] = [];
  const headers = { accept: 'application/json' };
  for (const server of options.servers) {
    const left = options.deadlineMs === undefined ? options.timeoutMs : options.deadlineMs - now();
    if (left <= 0) {
      attempts.push({ server, error: 'not asked: the run is out of time' });
      continue;
    }
    const timeoutMs = Math.min(options.timeoutMs, left);
    const query = new URLSearchParams({ count: String(options.count), ...(options.upstream ? { upstream: options.upstream } : {}) });
    const target = serverTarget(server);
    const oldPath = `/${originalRoute(target.route, options.upstream)}/${options.count}/`;
    if (target.route !== null) {
      options.onNote?.({ server, message: `server URL names the original route /${target.route}: asking its base ${target.base} (/api/v1/nearest, or ${oldPath} if it is an original Shoal server)` });
    }
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await doFetch(`${target.base}/api/v1/nearest?${query}`, { signal, headers });
      let entries: unknown[];
      let read: typeof cacheFrom;
      let envelope: Omit<NearestAnswer, 'caches'>;
      if (response.status === 404) {
        options.onNote?.({ server, message: `no /api/v1 there (HTTP 404), as on an original Shoal server: asking its original route ${target.base}${oldPath}` });
        const old = await doFetch(`${target.base}${oldPath}`, { signal, headers });
        if (!old.ok) throw new Error(`HTTP 404, and HTTP ${old.status} from the original route ${oldPath}`);
        entries = originalEntries(await old.json());
        read = originalCacheFrom;
        envelope = { caller: { ip: null, located_by: 'unknown' }, note: null, original_route: oldPath };
      } else {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const parsed = AnswerEnvelopeSchema.safeParse(await response.json());
        if (!parsed.success) throw new Error(`unexpected answer: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
        entries = parsed.data.caches;
        read = cacheFrom;
        envelope = { caller: parsed.data.caller, ...(parsed.data.note !== undefined ? { note: parsed.data.note } : {}) };
      }
      const caches: NearestCache[] = [];
      for (const entry of entries) {
        const one = read(entry);
        if ('cache' in one) caches.push(one.cache);
        else options.onRejected?.({ source: 'server', ...one.rejected });
      }
      const refused = entries.length - caches.length;
      // Nothing valid left: this answer is refused, and the next server (if any) is asked.
      if (refused > 0 && caches.length === 0) {
        attempts.push({ server, error: `every cache in the answer was refused (${refused})`, refused });
        continue;
      }
      return { ok: true, server, answer: { ...envelope, caches }, attempts };
    } catch (error) {
      const e = error as Error;
      const cause = (e.cause as Error | undefined)?.message;
      attempts.push({ server, error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : cause ? `${e.message}: ${cause}` : e.message });
    }
  }
  return { ok: false, attempts };
}
