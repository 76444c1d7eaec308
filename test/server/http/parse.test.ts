import { Hono, type Context } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CacheIdParamSchema, NearestQuerySchema, PacQuerySchema } from '../../../server/http/api-schemas.js';
import { ApiError, createErrorHandler } from '../../../server/http/errors.js';
import { createPathParser, createQueryParser, parseInput, type InputPlace } from '../../../server/http/parse.js';
import { createSilentLogger } from '../../../shared/logger.js';

/** A path schema of two parts, as a route's `c.req.param()` gives them. */
const TwoPartPath = z.object({
  repo: z.string().regex(/^[a-z.]+$/, { error: 'must be a repository name' }),
  count: z.string().regex(/^[0-9]+$/, { error: 'must be a whole number' }).transform(Number),
});

/** What parseInput throws, as the error handler would send it. */
function failure(schema: z.ZodType, raw: unknown, place: InputPlace): { code: string; message: string; field: string | undefined } {
  try {
    parseInput(schema, raw, place);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    const { code, message, field } = error as ApiError;
    return { code, message, field };
  }
  throw new Error('parsed without an error');
}

describe('parseInput', () => {
  it.each<[InputPlace, unknown, z.ZodType, string, string]>([
    ['query', { count: '0' }, NearestQuerySchema, 'count', 'count: must be a whole number from 1 to 100'],
    ['query', { verified: 'yes' }, NearestQuerySchema, 'verified', 'verified: must be one of true, false'],
    ['query', { ip: 'example.org' }, NearestQuerySchema, 'ip', 'ip: must be an IPv4 or IPv6 address'],
    ['query', { ip: '1'.repeat(65) }, NearestQuerySchema, 'ip', 'ip: must be an IPv4 or IPv6 address'],
    ['query', { lon: '1' }, PacQuerySchema, 'lat', 'lat: lat and lon must be given together'],
    ['query', { colour: 'blue' }, PacQuerySchema, 'colour', 'colour: unknown parameter (known: count, ip, lat, lon, loadbalance)'],
    ['path', { id: 'a b' }, CacheIdParamSchema, 'id', 'id: must be a cache id (the agent uuid)'],
    ['path', {}, CacheIdParamSchema, 'id', 'id: Invalid input: expected string, received undefined'],
    ['path', { repo: 'atlas.cern.ch', count: 'x' }, TwoPartPath, 'count', 'count: must be a whole number'],
    ['body', 'not an object', CacheIdParamSchema, 'body', 'body: Invalid input: expected object, received string'],
    ['path', null, TwoPartPath, 'path', 'path: Invalid input: expected object, received null'],
  ])('a bad %s names its field: %j', (place, raw, schema, field, message) => {
    expect(failure(schema, raw, place)).toEqual({ code: 'bad_request', field, message });
  });

  it.each<[InputPlace, unknown, z.ZodType, string, string]>([
    [
      'query',
      { count: '0', type: 'nginx', ip: '1.2.3' },
      NearestQuerySchema,
      'count',
      'count: must be a whole number from 1 to 100; ip: must be an IPv4 or IPv6 address; type: must be one of squid, varnish, any',
    ],
    ['query', { lat: '91', lon: '0', colour: 'blue', shade: 'red' }, PacQuerySchema, 'lat', 'lat: must be a number from -90 to 90; colour, shade: unknown parameter (known: count, ip, lat, lon, loadbalance)'],
    ['path', { repo: 'Atlas!', count: '1e3' }, TwoPartPath, 'repo', 'repo: must be a repository name; count: must be a whole number'],
  ])('several bad fields of a %s are named in one message, the first as the field: %j', (place, raw, schema, field, message) => {
    expect(failure(schema, raw, place)).toEqual({ code: 'bad_request', field, message });
  });

  it.each<[InputPlace, unknown, z.ZodType, unknown]>([
    ['query', { ip: ' ::FFFF:1.2.3.4 ', count: '07' }, NearestQuerySchema, { ip: '1.2.3.4', count: 7, upstream: 'any', type: 'any', verified: false, format: 'json' }],
    ['query', {}, PacQuerySchema, { loadbalance: false }],
    ['path', { repo: 'atlas.cern.ch', count: '3' }, TwoPartPath, { repo: 'atlas.cern.ch', count: 3 }],
    ['path', { id: 'de68abcae62c11f192f902fc00000001' }, CacheIdParamSchema, { id: 'de68abcae62c11f192f902fc00000001' }],
  ])('a good %s comes back typed: %j', (place, raw, schema, expected) => {
    expect(parseInput(schema, raw, place)).toEqual(expected);
  });
});

/** An app answering `route` with what `parse` gives, keeping each result to compare identities. */
function appWith(route: string, parse: (c: Context) => object) {
  const seen: object[] = [];
  const hono = new Hono();
  hono.get(route, (c) => {
    const parsed = parse(c);
    seen.push(parsed);
    return c.json(parsed);
  });
  hono.onError(createErrorHandler(createSilentLogger()));
  return { hono, seen };
}

const app = () => appWith('/q', createQueryParser(NearestQuerySchema));

describe('remembered query parsing', () => {
  it.each(['', '?count=3', '?format=text', '?ip=8.8.8.8&count=2', '?lat=10&lon=20', '?verified=true&upstream=cvmfs&type=squid', '?count=07', '?ip=%3A%3Affff%3A1.2.3.4'])(
    'answers %j as the schema does, the first time and the next',
    async (query) => {
      const { hono, seen } = app();
      const expected = NearestQuerySchema.parse(Object.fromEntries(new URL(`http://x/q${query}`).searchParams));
      for (let i = 0; i < 2; i++) {
        const response = await hono.request(`/q${query}`);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual(JSON.parse(JSON.stringify(expected)));
      }
      expect(seen[1]).toBe(seen[0]);
      expect(Object.isFrozen(seen[0])).toBe(true);
    },
  );

  it('does not remember failures, and keeps working past its size', async () => {
    const { hono } = app();
    for (let i = 0; i < 2; i++) expect((await hono.request('/q?count=0')).status).toBe(400);
    for (let n = 1; n <= 600; n++) expect((await hono.request(`/q?lat=${n / 10}&lon=1`)).status).toBe(200);
    expect(await (await hono.request('/q?lat=0.1&lon=1')).json()).toMatchObject({ lat: 0.1, lon: 1 });
  });
});

describe('remembered path parsing', () => {
  const pathApp = () => appWith('/p/:repo/:count', createPathParser(TwoPartPath));

  it('answers a path as the schema does, the first time and the next, with one frozen result', async () => {
    const { hono, seen } = pathApp();
    for (let i = 0; i < 2; i++) expect(await (await hono.request('/p/atlas.cern.ch/3')).json()).toEqual({ repo: 'atlas.cern.ch', count: 3 });
    expect(seen[1]).toBe(seen[0]);
    expect(Object.isFrozen(seen[0])).toBe(true);
    expect(await (await hono.request('/p/belle/4')).json()).toEqual({ repo: 'belle', count: 4 });
  });

  it('answers a bad path with the same 400 a query gets, every time', async () => {
    const { hono } = pathApp();
    for (let i = 0; i < 2; i++) {
      const response = await hono.request('/p/Atlas!/x');
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: { code: 'bad_request', field: 'repo', message: 'repo: must be a repository name; count: must be a whole number' },
      });
    }
  });
});
