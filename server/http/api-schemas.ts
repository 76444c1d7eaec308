import { isIP } from 'node:net';
import { z } from 'zod';
import { normaliseIp } from '../geo/networks.js';
import { VERIFICATION_CLASSES } from '../verification/outcome.js';

/**
 * The `/api/v1` routes' (and the PAC routes') schemas, for the routes and `/openapi.json` alike.
 *
 * Requests first. Every message is written for a person: the 400 reads `count: must be a whole number
 * from 1 to 100`, not zod's default wording (parse.ts turns the issues into the one error).
 */

/**
 * Numbers arrive as text. `z.coerce.number()` alone reads "" and " " as 0 and "0x10" as 16, so anything but
 * plain decimal text (at most 32 characters) becomes NaN first and fails with the same message.
 */
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const plainDecimal = (v: unknown) => (typeof v === 'string' && (v.length > 32 || !DECIMAL_TEXT.test(v)) ? Number.NaN : v);

const wholeNumber = (min: number, max: number) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.preprocess(plainDecimal, z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }));
};

const decimal = (min: number, max: number) => {
  const error = `must be a number from ${min} to ${max}`;
  return z.preprocess(plainDecimal, z.coerce.number({ error }).min(min, { error }).max(max, { error }));
};

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

const flag = oneOf(['true', 'false']).transform((v) => v === 'true');

export const FORMATS = ['json', 'cvmfs', 'frontier', 'pac', 'text'] as const;
export type Format = (typeof FORMATS)[number];

const NOT_AN_ADDRESS = 'must be an IPv4 or IPv6 address';

const locationFields = {
  // Checked here once, normalised as it is checked; resolveCaller takes it as it comes.
  ip: z
    .string()
    .max(64, { error: NOT_AN_ADDRESS })
    .transform((v, ctx) => {
      const ip = normaliseIp(v);
      if (isIP(ip) === 0) ctx.addIssue({ code: 'custom', message: NOT_AN_ADDRESS });
      return ip;
    })
    .optional()
    .describe('answer for this address instead of the caller’s own'),
  lat: decimal(-90, 90).optional().describe('latitude to rank from (with lon)'),
  lon: decimal(-180, 180).optional().describe('longitude to rank from (with lat)'),
};

/** A strict object whose unknown-key error names the keys it does know. */
function params<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(', ');
  return z
    .strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown parameter (known: ${known})` : undefined) })
    .refine((q: Record<string, unknown>) => (q.lat === undefined) === (q.lon === undefined), {
      error: 'lat and lon must be given together',
      path: ['lat'],
    });
}

export const NearestQuerySchema = params({
  count: wholeNumber(1, 100).optional().describe('how many caches (default: the server’s --default-count)'),
  ...locationFields,
  upstream: oneOf(['cvmfs', 'frontier', 'any']).default('any').describe('only caches serving this upstream'),
  type: oneOf(['squid', 'varnish', 'any']).default('any').describe('only caches of this kind'),
  verified: flag.default(false).describe('only caches their agent reports verified'),
  format: oneOf(FORMATS)
    .default('json')
    .describe('json; cvmfs: a CVMFS_HTTP_PROXY value; frontier: (proxyurl=...) list; pac: a PAC file; text: one proxy URL per line'),
});

export const PacQuerySchema = params({
  count: wholeNumber(1, 100).optional().describe('caches per upstream (default 10, as the original)'),
  ...locationFields,
  loadbalance: flag.default(false).describe('spread URLs over the listed caches, each URL always to the same cache'),
});

export const CachesQuerySchema = params({});

/** The `:id` of `/api/v1/caches/:id`, `/api/v1/admin/caches/:id` and the cache page `/caches/:id`. */
export const CacheIdParamSchema = z.object({
  id: z.string().min(1).max(128).regex(/^[\w.:-]+$/, { error: 'must be a cache id (the agent uuid)' }),
});

/**
 * Response bodies (tests parse real responses with them, so the document cannot drift from what the
 * routes send).
 */

const nullableString = z.string().nullable();

export const ErrorBodySchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) })
  .describe('Every error: a closed set of codes, a message for people, and the parameter at fault');

export const LocationSchema = z.object({
  latitude: z.number(),
  longitude: z.number(),
  city: nullableString,
  region_code: nullableString,
  country_code: nullableString,
  country_name: nullableString,
  continent: nullableString,
  source: z.enum(['declared', 'geoip']),
});

export const VerificationSchema = z.object({
  ok: z.boolean(),
  class: z
    .enum(VERIFICATION_CLASSES)
    .describe('ok; refused: no HTTP answer; timeout; bad_answer: an HTTP answer but not the test file; not_probed: not a public address and not declared by the operator'),
  checked_at: z.string(),
});

export const CacheSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  port: z.number().int(),
  proxy: z.string().describe('proxy URL, e.g. http://squid.example.org:3128'),
  cache_type: z.enum(['squid', 'varnish']),
  upstream: z.enum(['cvmfs', 'frontier', 'both']),
  load: z.number(),
  max_load: z.number().nullable(),
  request_rate: z.number().nullable().describe('HTTP requests a second the cache served since its previous heartbeat, from Squid’s cache manager; null when its agent sends none'),
  client_count: z.number().int().nullable().describe('clients of the cache (Squid’s “Number of clients accessing cache”); null when its agent sends none'),
  verified: z.boolean(),
  status: z.enum(['ok', 'failing', 'leaving']),
  status_reason: nullableString,
  verification: VerificationSchema.nullable().describe('the server’s own check; null until the first one'),
  site: nullableString,
  access: z.enum(['global', 'site', 'private']),
  source: z.enum(['agent', 'feed']).describe('agent: listed by its heartbeats; feed: by the operator feed (--feed), for as long as the feed lists it'),
  public_ip: nullableString,
  private_ip: nullableString,
  external_ip: nullableString,
  location: LocationSchema.nullable(),
  created: z.string(),
  last_heartbeat: z.string(),
  last_heartbeat_age_s: z.number(),
  clock_drift_s: z.number().describe('server clock when the last heartbeat arrived minus its timestamp, in seconds (negative: stamped in the future)'),
  clock_drift: z.boolean().describe('clock_drift_s is over 10 s either way (the agent’s clock is off, or its heartbeat waited in a queue)'),
});

export const LoadSampleSchema = z.object({
  at: z.string().describe('when the server accepted the heartbeat'),
  load: z.number(),
  max_load: z.number().nullable(),
  request_rate: z.number().nullable(),
  client_count: z.number().int().nullable(),
});

/** `/api/v1/caches/<id>`: the cache as `/api/v1/caches` lists it, and what this server process has seen of it lately. */
export const CacheDetailSchema = CacheSchema.extend({
  history: z
    .object({
      window_s: z.number().int().describe('how far back load samples go (3600)'),
      bucket_s: z.number().describe('at most one load sample per bucket of this many seconds (the latest heartbeat in it)'),
      load: z.array(LoadSampleSchema).describe('oldest first; figures to 7 significant digits'),
      verification: z.array(VerificationSchema).describe('the server’s last checks of the cache, newest first (at most 10)'),
    })
    .describe('kept in memory by the server process that answers, from the heartbeats it accepted and its own checks (with several replicas, each keeps what it sees)'),
});

export const RankedCacheSchema = CacheSchema.extend({
  address: z.string().describe('host this caller should use (a private address for a private cache of its own site)'),
  degraded: z.boolean().describe('offered although overloaded or failing, because nothing else was left'),
  distance_km: z.number().nullable(),
  score: z.number().describe('ranking cost, lower is better'),
  local: z.boolean().describe('in the caller’s own site'),
  effective_max_load: z.number(),
});

export const CallerSchema = z.object({
  ip: nullableString,
  located_by: z.enum(['site', 'geoip', 'query', 'unknown']),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  city: nullableString,
  country_code: nullableString,
  site: nullableString,
});

export const NearestResponseSchema = z.object({
  caller: CallerSchema,
  note: nullableString.describe('set when a rule had to be relaxed, the caller could not be located, or the registry is still filling after a start (--warmup)'),
  caches: z.array(RankedCacheSchema),
});

export const CachesResponseSchema = z.object({ count: z.number().int(), caches: z.array(CacheSchema) });

export const WlcgWpadResponseSchema = z
  .record(
    z.string(),
    z.object({ public_ip: z.string(), private_ip: z.string().optional(), city: z.string().optional(), country_code: z.string().optional() }),
  )
  .describe('shoal-squids.json for WLCG WPAD, keyed by hostname (squids on port 3128 only, as WLCG WPAD assumes)');

export const AdminRemovedSchema = z.object({ id: z.string(), removed: z.literal(true) });
export const AdminDrainSchema = z.object({ id: z.string(), draining: z.boolean() });
export const AdminDrainsSchema = z.object({ draining: z.array(z.string()) });

/** A cache as the admin routes show it: the public view, with the verification's detail. */
export const AdminCacheSchema = CacheSchema.extend({
  verification: VerificationSchema.extend({ detail: nullableString.describe('what the check saw (URL and reason); null when it passed') }).nullable(),
});
export const AdminCachesSchema = z.object({ count: z.number().int(), caches: z.array(AdminCacheSchema) });
