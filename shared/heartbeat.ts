import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The heartbeat an agent publishes to the `shoal` exchange. Accepts exactly what the original Python
 * agent sends (numbers as strings, `squid_port` for older agents, negative `max_load` when the NIC
 * speed is unknown) plus our optional extensions. Unknown keys are dropped, never fatal.
 */

const numberish = z.union([z.number(), z.string().trim().min(1).max(32)]).pipe(z.coerce.number()).refine(Number.isFinite, {
  message: 'must be a finite number',
});

const port = numberish.pipe(z.number().int('must be a whole number').min(1).max(65535));

const ipAddress = z
  .string()
  .trim()
  .max(64)
  .refine((value) => isIP(stripZone(value)) !== 0, { message: 'must be an IPv4 or IPv6 address' });

/** Python agents send `null`/empty for a missing address; both mean "absent". */
const optionalIp = z
  .union([ipAddress, z.literal(''), z.null()])
  .optional()
  .transform((value) => (value ? value : undefined));

const booleanish = z.union([
  z.boolean(),
  z.enum(['true', 'false', 'True', 'False', '1', '0']).transform((v) => v === 'true' || v === 'True' || v === '1'),
]);

export const CIDR_PATTERN = /^[0-9a-fA-F:.]+\/\d{1,3}$/;

export const CacheTypeSchema = z.enum(['squid', 'varnish']);
export const UpstreamSchema = z.enum(['cvmfs', 'frontier', 'both']);
export const AccessLevelSchema = z.enum(['global', 'site', 'private']);
/** `failing`: the agent's self-check failed; `leaving`: the agent is shutting down (goodbye). */
export const CacheStatusSchema = z.enum(['ok', 'failing', 'leaving']);

export const HeartbeatWireSchema = z
  .object({
    uuid: z.string().trim().min(1).max(128).regex(/^[\w.:-]+$/, 'may hold only letters, digits, "_", "-", ".", ":"'),
    hostname: z.string().trim().min(1).max(253).regex(/^[^\s,"]+$/, 'may not contain spaces, commas or quotes'),
    cache_port: port.optional(),
    squid_port: port.optional(),
    cache_type: z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), CacheTypeSchema).default('squid'),
    upstream: z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), UpstreamSchema).default('both'),
    verified: booleanish.default(false),
    max_load: numberish.optional(),
    load: numberish.pipe(z.number().min(0, 'must not be negative')).default(0),
    timestamp: numberish.pipe(z.number().positive()),
    public_ip: optionalIp,
    private_ip: optionalIp,
    external_ip: optionalIp,
    // Extensions (optional; original agents never send them).
    site: z.string().trim().min(1).max(128).regex(/^[^\s,"]+$/, 'may not contain spaces, commas or quotes').optional(),
    networks: z.array(z.string().trim().regex(CIDR_PATTERN, 'must be a CIDR such as 10.0.0.0/8')).max(256).optional(),
    latitude: numberish.pipe(z.number().min(-90).max(90)).optional(),
    longitude: numberish.pipe(z.number().min(-180).max(180)).optional(),
    access: AccessLevelSchema.default('global'),
    status: CacheStatusSchema.default('ok'),
    status_reason: z.string().max(500).optional(),
    request_rate: numberish.pipe(z.number().min(0)).optional(),
    client_count: numberish.pipe(z.number().int().min(0)).optional(),
  })
  .refine((hb) => hb.cache_port !== undefined || hb.squid_port !== undefined, {
    message: 'one of cache_port or squid_port is required',
    path: ['cache_port'],
  })
  .refine((hb) => (hb.latitude === undefined) === (hb.longitude === undefined), {
    message: 'latitude and longitude go together',
    path: ['latitude'],
  });

export type HeartbeatWire = z.input<typeof HeartbeatWireSchema>;
export type CacheType = z.infer<typeof CacheTypeSchema>;
export type Upstream = z.infer<typeof UpstreamSchema>;
export type AccessLevel = z.infer<typeof AccessLevelSchema>;
export type CacheStatus = z.infer<typeof CacheStatusSchema>;

/** A validated heartbeat in the shape the rest of the code uses. */
export interface Heartbeat {
  uuid: string;
  hostname: string;
  cachePort: number;
  cacheType: CacheType;
  upstream: Upstream;
  verified: boolean;
  /** `null` when the agent sent none or a non-positive one: the server's default applies. */
  maxLoad: number | null;
  load: number;
  timestamp: number;
  publicIp?: string | undefined;
  privateIp?: string | undefined;
  externalIp?: string | undefined;
  site?: string | undefined;
  networks?: string[] | undefined;
  latitude?: number | undefined;
  longitude?: number | undefined;
  access: AccessLevel;
  status: CacheStatus;
  statusReason?: string | undefined;
  requestRate?: number | undefined;
  clientCount?: number | undefined;
}

export type HeartbeatResult = { ok: true; heartbeat: Heartbeat } | { ok: false; reason: string; field: string };

/** A message body as a value: bytes and text are parsed as JSON, anything else is already one. Never throws. */
export function decodeBody(body: Buffer | string | unknown): { ok: true; value: unknown } | { ok: false } {
  if (!Buffer.isBuffer(body) && typeof body !== 'string') return { ok: true, value: body };
  try {
    return { ok: true, value: JSON.parse(body.toString()) };
  } catch {
    return { ok: false };
  }
}

/** Parses a heartbeat body (bytes, text or object). Never throws. */
export function parseHeartbeat(body: Buffer | string | unknown): HeartbeatResult {
  const decoded = decodeBody(body);
  if (!decoded.ok) return { ok: false, reason: 'body is not valid JSON', field: '(body)' };
  const value = decoded.value;
  const parsed = HeartbeatWireSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : '(body)';
    return { ok: false, reason: `${field}: ${issue?.message ?? 'invalid'}`, field };
  }
  const hb = parsed.data;
  const maxLoad = hb.max_load !== undefined && hb.max_load > 0 ? hb.max_load : null;
  return {
    ok: true,
    heartbeat: {
      uuid: hb.uuid,
      hostname: hb.hostname,
      cachePort: (hb.cache_port ?? hb.squid_port) as number,
      cacheType: hb.cache_type,
      upstream: hb.upstream,
      verified: hb.verified,
      maxLoad,
      load: hb.load,
      timestamp: hb.timestamp,
      publicIp: hb.public_ip,
      privateIp: hb.private_ip,
      externalIp: hb.external_ip,
      site: hb.site,
      networks: hb.networks,
      latitude: hb.latitude,
      longitude: hb.longitude,
      access: hb.access,
      status: hb.status,
      statusReason: hb.status_reason,
      requestRate: hb.request_rate,
      clientCount: hb.client_count,
    },
  };
}

/** The wire form our agent publishes: the original field names, extensions only when set. */
export function toWire(hb: Heartbeat): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    uuid: hb.uuid,
    hostname: hb.hostname,
    cache_port: String(hb.cachePort),
    cache_type: hb.cacheType,
    verified: hb.verified,
    max_load: hb.maxLoad ?? -1,
    upstream: hb.upstream,
    timestamp: hb.timestamp,
    load: hb.load,
  };
  const optional: Record<string, unknown> = {
    public_ip: hb.publicIp,
    private_ip: hb.privateIp,
    external_ip: hb.externalIp,
    site: hb.site,
    networks: hb.networks,
    latitude: hb.latitude,
    longitude: hb.longitude,
    access: hb.access === 'global' ? undefined : hb.access,
    status: hb.status === 'ok' ? undefined : hb.status,
    status_reason: hb.statusReason,
    request_rate: hb.requestRate,
    client_count: hb.clientCount,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) wire[key] = value;
  return wire;
}

function stripZone(address: string): string {
  const percent = address.indexOf('%');
  return percent === -1 ? address : address.slice(0, percent);
}
