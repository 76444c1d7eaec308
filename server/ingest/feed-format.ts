import { z } from 'zod';
import { AccessLevelSchema, CacheTypeSchema, SiteNameSchema, UpstreamSchema, type Heartbeat } from '../../shared/heartbeat.js';
import { FEED_ID_PREFIX } from '../model/cache.js';
import { CidrSchema, IpLiteralSchema, parseDnsName, parseIpLiteral, PortSchema, ProxyHostSchema, type IpLiteral, type Port, type ProxyHost } from '../../shared/identity.js';

/**
 * The two forms of the operator feed (`--feed`, docs/operations.md "Caches that run no agent"), parsed into
 * the typed identity heartbeats have (shared/identity.ts, the pieces of shared/heartbeat.ts): every entry on
 * its own, so one bad entry is refused with its reason while the others are listed. Pure: no I/O.
 *
 * - Our list: a JSON array of caches, each with the heartbeat's own field names.
 * - WLCG WPAD's `worker-proxies.json`: an object keyed by a site's registered squid, as WLCG WPAD's
 *   wlcg_wpad.py reads it (its repository ships no sample; the shape is taken from that code): `ip` (the
 *   squid's address; `ips`, name to address, in one release), `names` (site names), `disabled`, and
 *   `proxies`, a list of groups whose `default` holds `host[:port]` members (port 3128 when none, as its
 *   PAC writer assumes) and whose `ipranges` limit the group to those client networks. An entry without
 *   `proxies` stands for its key on port 3128, as WLCG WPAD's does.
 */

/** Longest id: a heartbeat's uuid rule, which the shared registry's codec reads a stored entry with. */
const MAX_ID_LENGTH = 128;

/** Port WLCG WPAD assumes for a member without one. */
export const WLCG_DEFAULT_PORT = 3128 as Port;

/** One cache the feed lists: its registry id, what a heartbeat would say of it, and where to locate it when it names no address. */
export interface FeedCache {
  id: string;
  /** The heartbeat fields, but the time: the feed stamps them each time it refreshes the cache. */
  heartbeat: Omit<Heartbeat, 'timestamp'>;
  /** WLCG members known by name only: located where GeoIP places their site's registered squid (`ip`). */
  locateAt?: IpLiteral | undefined;
}

/** An entry the feed refused: which one (`entry`: list index or WLCG key, `member` within it) and why. */
export interface FeedRefusal {
  entry: string;
  member?: string;
  reason: string;
}

export type FeedParse =
  | { ok: true; format: 'list' | 'worker-proxies'; caches: FeedCache[]; refused: FeedRefusal[] }
  | { ok: false; reason: string };

const coordinate = (min: number, max: number) => z.number().min(min).max(max);

/** One cache of our list form. Unknown keys are ignored, as in heartbeats. */
export const FeedListEntrySchema = z
  .object({
    hostname: ProxyHostSchema,
    port: PortSchema.default(WLCG_DEFAULT_PORT),
    public_ip: IpLiteralSchema.optional(),
    private_ip: IpLiteralSchema.optional(),
    external_ip: IpLiteralSchema.optional(),
    site: SiteNameSchema.optional(),
    networks: z.array(CidrSchema).max(256).optional(),
    upstream: UpstreamSchema.default('both'),
    cache_type: CacheTypeSchema.default('squid'),
    access: AccessLevelSchema.default('global'),
    max_load: z.number().positive().optional(),
    latitude: coordinate(-90, 90).optional(),
    longitude: coordinate(-180, 180).optional(),
  })
  .refine((e) => (e.latitude === undefined) === (e.longitude === undefined), { message: 'latitude and longitude go together', path: ['latitude'] });

const WorkerProxyGroupSchema = z.object({
  default: z.array(z.string().max(300)).max(256).optional(),
  ipranges: z.array(CidrSchema).max(256).optional(),
  names: z.array(z.unknown()).optional(),
});

/** One entry of `worker-proxies.json`; keys WLCG WPAD reads and we do not (`cmsnames`, destination aliases, `loadbalance`) are ignored. */
export const WorkerProxySchema = z.object({
  ip: IpLiteralSchema.optional(),
  ips: z.record(z.string(), IpLiteralSchema).optional(),
  names: z.array(z.unknown()).optional(),
  disabled: z.unknown().optional(),
  proxies: z.array(WorkerProxyGroupSchema).max(256).optional(),
});

/** The registry id of a feed cache: a space no heartbeat's uuid may use. */
export function feedCacheId(hostname: ProxyHost, port: Port): string {
  return `${FEED_ID_PREFIX}${hostname}:${port}`;
}

const issueText = (error: z.ZodError) => {
  const issue = error.issues[0];
  return `${issue?.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'invalid'}`;
};

/** A label for the log: what the feed named, cut short (it may be anything). */
const label = (text: string) => (text.length > 100 ? `${text.slice(0, 100)}…` : text);

function feedHeartbeat(id: string, fields: Partial<Omit<Heartbeat, 'timestamp'>> & Pick<Heartbeat, 'hostname' | 'cachePort'>): Omit<Heartbeat, 'timestamp'> {
  return { cacheType: 'squid', upstream: 'both', verified: false, maxLoad: null, load: 0, access: 'global', status: 'ok', ...fields, uuid: id };
}

/** The first name of `names` that is a site name, else `fallback` when it is one. */
function siteOf(names: unknown[] | undefined, fallback: string | undefined): string | undefined {
  for (const candidate of [...(names ?? []), fallback]) {
    const site = SiteNameSchema.safeParse(candidate);
    if (site.success) return site.data;
  }
  return undefined;
}

/** `host[:port]`, `[v6][:port]` or a bare IPv6 literal, as a WLCG member is written (an `http://` in front is tolerated). */
function splitMember(text: string): { host: string; port: string | number } {
  const member = text.trim().replace(/^http:\/\//i, '');
  const bracketed = /^\[([^\]]*)\](?::([^:]*))?$/.exec(member);
  if (bracketed) return { host: bracketed[1] ?? '', port: bracketed[2] ?? WLCG_DEFAULT_PORT };
  const colon = member.indexOf(':');
  if (colon !== -1 && colon === member.lastIndexOf(':')) return { host: member.slice(0, colon), port: member.slice(colon + 1) };
  return { host: member, port: WLCG_DEFAULT_PORT };
}

/**
 * Parses a feed's decoded JSON: an array is our list, an object is `worker-proxies.json`; anything else,
 * or a feed that lists entries of which none is usable, is refused whole (the caller keeps its last good list).
 */
export function parseFeed(value: unknown, maxCaches = Number.POSITIVE_INFINITY): FeedParse {
  const caches: FeedCache[] = [];
  const refused: FeedRefusal[] = [];
  const seen = new Set<string>();
  const add = (cache: FeedCache, entry: string, member?: string) => {
    const where = member === undefined ? { entry } : { entry, member };
    if (cache.id.length > MAX_ID_LENGTH) return void refused.push({ ...where, reason: `hostname: too long for a cache id (${MAX_ID_LENGTH} characters with "feed:" and the port)` });
    if (seen.has(cache.id)) return void refused.push({ ...where, reason: `${cache.heartbeat.hostname}:${cache.heartbeat.cachePort} is listed already` });
    if (caches.length >= maxCaches) return void refused.push({ ...where, reason: `more than ${maxCaches} caches (--max-caches)` });
    seen.add(cache.id);
    caches.push(cache);
  };

  let format: 'list' | 'worker-proxies';
  let listed = 0;
  if (Array.isArray(value)) {
    format = 'list';
    value.forEach((raw, index) => {
      listed++;
      const parsed = FeedListEntrySchema.safeParse(raw);
      if (!parsed.success) return void refused.push({ entry: String(index), reason: issueText(parsed.error) });
      const e = parsed.data;
      const id = feedCacheId(e.hostname, e.port);
      const heartbeat = feedHeartbeat(id, {
        hostname: e.hostname,
        cachePort: e.port,
        cacheType: e.cache_type,
        upstream: e.upstream,
        maxLoad: e.max_load ?? null,
        publicIp: e.public_ip,
        privateIp: e.private_ip,
        externalIp: e.external_ip,
        site: e.site,
        networks: e.networks,
        latitude: e.latitude,
        longitude: e.longitude,
        access: e.access,
      });
      add({ id, heartbeat }, String(index));
    });
  } else if (typeof value === 'object' && value !== null) {
    format = 'worker-proxies';
    for (const [key, raw] of Object.entries(value)) {
      const parsed = WorkerProxySchema.safeParse(raw);
      if (!parsed.success) {
        listed++;
        refused.push({ entry: label(key), reason: issueText(parsed.error) });
        continue;
      }
      const e = parsed.data;
      if (e.disabled !== undefined && e.disabled !== null && e.disabled !== false) continue; // WLCG WPAD serves a disabled site no proxies
      const keyHost = parseDnsName(key) ?? parseIpLiteral(key);
      const groups = e.proxies ?? [{ default: [key], ipranges: undefined, names: undefined }];
      for (const group of groups) {
        for (const text of group.default ?? []) {
          listed++;
          if (text.trim().toUpperCase() === 'DIRECT') continue;
          const { host: hostText, port: portText } = splitMember(text);
          const host = ProxyHostSchema.safeParse(hostText);
          const port = PortSchema.safeParse(portText);
          if (!host.success || !port.success) {
            const reason = !host.success ? `host: ${issueText(host.error)}` : `port: ${port.success ? '' : issueText(port.error)}`;
            refused.push({ entry: label(key), member: label(text), reason });
            continue;
          }
          const hostname = host.data;
          const literal = parseIpLiteral(hostname);
          // The member's own address: it is one, the entry's `ip` is its (the registered squid), or `ips` names it.
          const publicIp = literal ?? (hostname === keyHost ? e.ip : undefined) ?? e.ips?.[hostname];
          const id = feedCacheId(hostname, port.data);
          const heartbeat = feedHeartbeat(id, {
            hostname,
            cachePort: port.data,
            publicIp,
            site: siteOf(group.names ?? e.names, key),
            networks: group.ipranges,
          });
          add({ id, heartbeat, locateAt: publicIp === undefined ? e.ip : undefined }, label(key), label(text));
        }
      }
    }
  } else {
    return { ok: false, reason: 'neither a JSON array (a list of caches) nor an object (worker-proxies.json)' };
  }
  if (listed > 0 && caches.length === 0 && refused.length > 0) {
    return { ok: false, reason: `none of its ${listed} entries is usable (first: ${refused[0]?.reason ?? ''})` };
  }
  return { ok: true, format, caches, refused };
}
