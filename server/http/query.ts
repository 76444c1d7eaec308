import { isIP } from 'node:net';
import { z } from 'zod';
import { normaliseIp } from '../geo/networks.js';

/**
 * Query-string schemas of the HTTP routes. Every message is written for a person: the 400 reads
 * `count: must be a whole number from 1 to 100`, not zod's default wording. The same schemas feed
 * `/openapi.json`.
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

const locationFields = {
  ip: z
    .string()
    .max(64, { error: 'must be an IPv4 or IPv6 address' })
    .refine((v) => isIP(normaliseIp(v)) !== 0, { error: 'must be an IPv4 or IPv6 address' })
    .transform(normaliseIp)
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
export type NearestQuery = z.infer<typeof NearestQuerySchema>;

export const PacQuerySchema = params({
  count: wholeNumber(1, 100).optional().describe('caches per upstream (default 10, as the original)'),
  ...locationFields,
  loadbalance: flag.default(false).describe('spread URLs over the listed caches, each URL always to the same cache'),
});
export type PacQuery = z.infer<typeof PacQuerySchema>;

export const CachesQuerySchema = params({});
