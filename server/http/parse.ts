import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './errors.js';

/**
 * The one way a route reads its input. A zod schema over the raw values (`c.req.query()`, `c.req.param()`,
 * a JSON body) gives the typed value, or one 400 that names every bad field:
 * `{ "error": { "code": "bad_request", "message": "count: must be ...; type: must be ...", "field": "count" } }`.
 * The wording comes from the schemas (api-schemas.ts, or beside the route), written for a person.
 */

/** Where the values came from; the field named when a problem is with all of them rather than one. */
export type InputPlace = 'query' | 'path' | 'body';

/** `schema` over `raw`: the typed value, or the 400 naming each bad field (`field` is the first). */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, place: InputPlace): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw badInput(parsed.error, place);
  return parsed.data;
}

function badInput(error: z.ZodError, place: InputPlace): ApiError {
  const problems = error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = keys.length > 0 ? keys.join(', ') : issue.path.map(String).join('.') || place;
    return { field, text: `${field}: ${issue.message}` };
  });
  return new ApiError('bad_request', problems.map((p) => p.text).join('; ') || `${place}: invalid`, problems[0]?.field ?? place);
}

/** How many distinct inputs a parser remembers; past that it starts over (`?ip=` makes many). */
const REMEMBERED = 512;

/** The query string from its `?` ('' when none): all a route's query is a function of. */
const queryText = (c: Context): string => {
  const url = c.req.url;
  const mark = url.indexOf('?');
  return mark === -1 ? '' : url.slice(mark);
};
const queryValues = (c: Context): unknown => c.req.query();
const pathText = (c: Context): string => c.req.path;
const pathValues = (c: Context): unknown => c.req.param();

/**
 * `parseInput` of a lookup route's query, remembered per raw query string: the parse is a pure function
 * of that text, and most requests repeat one of a few shapes (often none at all), so the same frozen
 * result serves them without running zod again. Failures are not remembered.
 */
export function createQueryParser<S extends z.ZodType>(schema: S): (c: Context) => Readonly<z.output<S>> {
  return remembering(schema, 'query', queryText, queryValues);
}

/** The same for a lookup route's path parameters, remembered per request path. */
export function createPathParser<S extends z.ZodType>(schema: S): (c: Context) => Readonly<z.output<S>> {
  return remembering(schema, 'path', pathText, pathValues);
}

function remembering<S extends z.ZodType>(
  schema: S,
  place: InputPlace,
  keyOf: (c: Context) => string,
  valuesOf: (c: Context) => unknown,
): (c: Context) => Readonly<z.output<S>> {
  const parse = createRememberedParse(schema, place);
  return (c) => parse(keyOf(c), () => valuesOf(c));
}

/**
 * `parseInput` remembered per `key`, a text the raw values are a pure function of (the raw values are
 * read only when the key is new): the same frozen result for every request that repeats it. Failures are
 * not remembered. For a part of a path that repeats while the rest does not (the geo API's server list).
 */
export function createRememberedParse<S extends z.ZodType>(schema: S, place: InputPlace): (key: string, raw: () => unknown) => Readonly<z.output<S>> {
  const remembered = new Map<string, Readonly<z.output<S>>>();
  return (key, raw) => {
    const known = remembered.get(key);
    if (known !== undefined) return known;
    const data = Object.freeze(parseInput(schema, raw(), place)) as Readonly<z.output<S>>;
    if (remembered.size >= REMEMBERED) remembered.clear();
    remembered.set(key, data);
    return data;
  };
}
