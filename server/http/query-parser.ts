import type { Context } from 'hono';
import type { z } from 'zod';
import { badParameters } from './errors.js';

/** How many distinct query strings a route remembers; past that it starts over (`?ip=` makes many). */
const REMEMBERED = 512;

/**
 * Parses a route's query with its schema, remembering the result per raw query string: the parse is a
 * pure function of that text, and most requests repeat one of a few shapes (often none at all), so the
 * same frozen result serves them without running zod again. Failures are not remembered.
 */
export function createQueryParser<S extends z.ZodType>(schema: S): (c: Context) => Readonly<z.infer<S>> {
  const remembered = new Map<string, Readonly<z.infer<S>>>();
  return (c) => {
    const url = c.req.url;
    const mark = url.indexOf('?');
    const key = mark === -1 ? '' : url.slice(mark);
    const known = remembered.get(key);
    if (known) return known;
    const parsed = schema.safeParse(c.req.query());
    if (!parsed.success) throw badParameters(parsed.error);
    if (remembered.size >= REMEMBERED) remembered.clear();
    const data = Object.freeze(parsed.data) as Readonly<z.infer<S>>;
    remembered.set(key, data);
    return data;
  };
}
