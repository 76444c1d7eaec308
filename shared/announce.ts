import { z } from 'zod';
import { CacheTypeSchema, UpstreamSchema } from './heartbeat.js';
import { IpLiteralSchema, isIpv6Literal, PortSchema } from './identity.js';

/**
 * LAN announcements between agents and clients, in the original Shoal's UDP format: one datagram
 * `fna349fn<ip>:<port>` (newer form `fna349fn<ip>:<port>:<type>:<upstream>`), no newline, no JSON,
 * broadcast to port 50000. Pure: formatting and parsing only.
 */
export const ANNOUNCE_PREFIX = 'fna349fn';
/**
 * Active query a client sends so our agents answer at once. Deliberately NOT the announcement prefix:
 * an original client listening on the same port takes anything after `fna349fn` as `ip:port`.
 */
export const QUERY_PREFIX = 'shoalq01';

export const AnnouncementSchema = z.object({
  ip: IpLiteralSchema.refine((v) => !isIpv6Literal(v), 'must be an IPv4 address'),
  // Decimal digits only: a datagram saying `0x50` or `1e3` is noise, not port 80 or 1000.
  port: PortSchema,
  type: CacheTypeSchema.optional(),
  upstream: UpstreamSchema.optional(),
});
export type Announcement = z.infer<typeof AnnouncementSchema>;

/** `short` is what every original client understands (`ip:port`); `long` adds type and upstream. */
export type AnnouncementForm = 'short' | 'long';

export function formatAnnouncement(a: Announcement, form: AnnouncementForm): string {
  const base = `${ANNOUNCE_PREFIX}${a.ip}:${a.port}`;
  return form === 'long' ? `${base}:${a.type ?? 'squid'}:${a.upstream ?? 'both'}` : base;
}

/** The announcement in a datagram, or null when it is something else (a query, noise, a bad value). */
export function parseAnnouncement(text: string): Announcement | null {
  if (!text.startsWith(ANNOUNCE_PREFIX)) return null;
  const [ip, port, type, upstream, ...rest] = text.slice(ANNOUNCE_PREFIX.length).trim().split(':');
  if (rest.length > 0) return null;
  const parsed = AnnouncementSchema.safeParse({
    ip,
    port,
    ...(type ? { type: type.toLowerCase() } : {}),
    ...(upstream ? { upstream: upstream.toLowerCase() } : {}),
  });
  return parsed.success ? parsed.data : null;
}

export function formatQuery(): string {
  return `${QUERY_PREFIX}?`;
}

export function isQuery(text: string): boolean {
  return text.startsWith(QUERY_PREFIX);
}
