import { z } from 'zod';
import { CidrSchema, IpLiteralSchema, PortSchema, ProxyHostSchema, type IpLiteral, type Port, type ProxyHost } from './identity.js';

/**
 * The heartbeat an agent publishes to the `shoal` exchange. Accepts exactly what the original Python
 * agent sends (numbers as strings, `squid_port` for older agents, negative `max_load` when the NIC
 * speed is unknown) plus our optional extensions. Unknown keys are dropped, never fatal.
 */

// Decimal only: `Number()` would also read "0x50", "0b11" and "1e3", which no agent sends.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const numberish = z
  .union([z.number(), z.string().trim().min(1).max(32).regex(DECIMAL, 'must be a decimal number')])
  .pipe(z.coerce.number())
  .refine(Number.isFinite, { message: 'must be a finite number' });

/** Python agents send `null`/empty for a missing address; both mean "absent". */
const optionalIp = z
  .union([z.literal(''), z.null(), IpLiteralSchema])
  .optional()
  .transform((value) => (value ? value : undefined));

/** Free text shown to people only; control and line-separator characters become spaces. */
const displayText = (max: number) =>
  z
    .string()
    .max(max)
    .transform((text) => text.replace(/[\p{Cc}\u2028\u2029]/gu, ' '));

const booleanish = z.union([
  z.boolean(),
  z.enum(['true', 'false', 'True', 'False', '1', '0']).transform((v) => v === 'true' || v === 'True' || v === '1'),
]);

/** A site name: it reaches JSON that old clients regex-parse and the status page, so a plain token. */
export const SiteNameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit');

export const CacheTypeSchema = z.enum(['squid', 'varnish']);
export const UpstreamSchema = z.enum(['cvmfs', 'frontier', 'both']);
export const AccessLevelSchema = z.enum(['global', 'site', 'private']);
/** `failing`: the agent's self-check failed; `leaving`: the agent is shutting down (goodbye). */
export const CacheStatusSchema = z.enum(['ok', 'failing', 'leaving']);

export const HeartbeatWireSchema = z
  .object({
    uuid: z.string().trim().min(1).max(128).regex(/^[\w.:-]+$/, 'may hold only letters, digits, "_", "-", ".", ":"'),
    hostname: ProxyHostSchema,
    cache_port: PortSchema.optional(),
    squid_port: PortSchema.optional(),
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
    site: SiteNameSchema.optional(),
    networks: z.array(CidrSchema).max(256).optional(),
    latitude: numberish.pipe(z.number().min(-90).max(90)).optional(),
    longitude: numberish.pipe(z.number().min(-180).max(180)).optional(),
    access: AccessLevelSchema.default('global'),
    status: CacheStatusSchema.default('ok'),
    status_reason: displayText(500).optional(),
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

export type CacheType = z.infer<typeof CacheTypeSchema>;
export type Upstream = z.infer<typeof UpstreamSchema>;
export type AccessLevel = z.infer<typeof AccessLevelSchema>;
export type CacheStatus = z.infer<typeof CacheStatusSchema>;

/** A validated heartbeat in the shape the rest of the code uses. */
export interface Heartbeat {
  uuid: string;
  hostname: ProxyHost;
  cachePort: Port;
  cacheType: CacheType;
  upstream: Upstream;
  verified: boolean;
  /** `null` when the agent sent none or a non-positive one: the server's default applies. */
  maxLoad: number | null;
  load: number;
  timestamp: number;
  publicIp?: IpLiteral | undefined;
  privateIp?: IpLiteral | undefined;
  externalIp?: IpLiteral | undefined;
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
    const path = issue?.path.length ? issue.path.join('.') : '(body)';
    return { ok: false, reason: `${path}: ${issue?.message ?? 'invalid'}`, field: rejectField(issue?.path[0]) };
  }
  const hb = parsed.data;
  const maxLoad = hb.max_load !== undefined && hb.max_load > 0 ? hb.max_load : null;
  return {
    ok: true,
    heartbeat: {
      uuid: hb.uuid,
      hostname: hb.hostname,
      cachePort: (hb.cache_port ?? hb.squid_port) as Port,
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

const WIRE_FIELDS: ReadonlySet<string> = new Set(Object.keys(HeartbeatWireSchema.shape));

/**
 * The field a rejection is counted under: a top-level heartbeat field or `(body)`. A closed set, so a
 * metric label never carries what a message chose (`networks.0` ... `networks.255` were 256 series).
 */
function rejectField(key: PropertyKey | undefined): string {
  return typeof key === 'string' && WIRE_FIELDS.has(key) ? key : '(body)';
}
