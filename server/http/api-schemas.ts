import { z } from 'zod';
import { VERIFICATION_CLASSES } from '../verification/outcome.js';

/**
 * Response bodies of `/api/v1`, for `/openapi.json` (tests parse real responses with them, so the
 * document cannot drift from what the routes send).
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
  verified: z.boolean(),
  status: z.enum(['ok', 'failing', 'leaving']),
  status_reason: nullableString,
  verification: VerificationSchema.nullable().describe('the server’s own check; null until the first one'),
  site: nullableString,
  access: z.enum(['global', 'site', 'private']),
  public_ip: nullableString,
  private_ip: nullableString,
  external_ip: nullableString,
  location: LocationSchema.nullable(),
  created: z.string(),
  last_heartbeat: z.string(),
  last_heartbeat_age_s: z.number(),
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
  note: nullableString.describe('set when a rule had to be relaxed, or the caller could not be located'),
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
