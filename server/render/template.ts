import { asciiJson } from './ascii-json.js';
import { pyDumps, pyKey, type PyValue } from './python-json.js';

/**
 * An object serialised once with holes for the fields that change per request: `parts` are the text
 * between the holes, so filling them costs a few string concatenations instead of building and
 * serialising the whole object again. Pure. Used by view-cache.ts, for the ranked caches of
 * `/api/v1/nearest` (JSON) and of the original's nearest routes (Python's form).
 */
export interface ObjectTemplate {
  /** The field names of the holes, in the order they appear. */
  readonly holes: readonly string[];
  /** Text before the first hole, between holes, after the last one: `holes.length + 1` parts. */
  readonly parts: readonly string[];
}

/** How one serialiser writes an object's fields. */
export interface FieldSyntax {
  /** A key and what follows it up to the value, e.g. `"key":`. */
  key(name: string): string;
  value(v: unknown): string;
  separator: string;
}

/** `JSON.stringify`'s compact form, ASCII only (see ascii-json.ts). */
export const JSON_FIELDS: FieldSyntax = {
  key: (name) => `${asciiJson(JSON.stringify(name))}:`,
  value: (v) => asciiJson(JSON.stringify(v) as string),
  separator: ',',
};

/** Python's `json.dumps` default form (see python-json.ts). */
export const PYTHON_FIELDS: FieldSyntax = {
  key: (name) => `${pyKey(name)}: `,
  value: (v) => pyDumps(v as PyValue),
  separator: ', ',
};

/**
 * The template of `obj` (whose own values fill everything but the holes). Fields whose value is
 * `undefined` are left out, as `JSON.stringify` does. Throws when a hole is missing or out of order:
 * a view that changed shape must fail loudly, not serialise wrongly.
 */
export function buildTemplate(obj: Record<string, unknown>, holes: readonly string[], syntax: FieldSyntax): ObjectTemplate {
  // Each part is gathered as pieces and joined: join gives a flat string, where `+=` would leave a tree of
  // pieces (a rope) that every fill walks again, scattered over the heap. At 10,000 caches that walk was a
  // seventh of a lookup's CPU (see docs/benchmarks.md).
  const parts: string[] = [];
  let run: string[] = ['{'];
  let first = true;
  let next = 0;
  for (const name of Object.keys(obj)) {
    const v = obj[name];
    if (v === undefined) continue;
    run.push(first ? '' : syntax.separator, syntax.key(name));
    first = false;
    if (holes[next] === name) {
      parts.push(run.join(''));
      run = [];
      next++;
    } else if (holes.includes(name)) {
      throw new Error(`template: field ${name} comes before hole ${holes[next] ?? '(none)'}`);
    } else {
      run.push(syntax.value(v));
    }
  }
  if (next !== holes.length) throw new Error(`template: no field ${holes[next] ?? ''} for its hole`);
  run.push('}');
  parts.push(run.join(''));
  return { holes, parts };
}

/**
 * The template's text with `values` (already serialised, in hole order) in its holes. Joined, not
 * concatenated: `+` builds a tree of string pieces that Node must copy into one flat string before it
 * can measure or write an answer, which cost more than the filling itself (see docs/benchmarks.md).
 */
export function fillTemplate(template: ObjectTemplate, values: readonly string[]): string {
  const { parts } = template;
  const out: string[] = [parts[0] as string];
  for (let i = 0; i < values.length; i++) out.push(values[i] as string, parts[i + 1] as string);
  return out.join('');
}
