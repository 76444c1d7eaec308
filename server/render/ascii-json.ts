/**
 * JSON text with every non-ASCII character written as `\uXXXX` (characters beyond U+FFFF as their two
 * surrogate escapes): the same JSON value, in the form Python's `json.dumps` writes by default.
 *
 * Answers are kept ASCII because of what Node does with them: a string holding even one character like
 * "ç" (city and country names) is encoded to UTF-8 on a slow path when it is written, where pure ASCII
 * is copied. At 10,000 caches that cost a quarter of a `/api/v1/nearest` request (see docs/benchmarks.md).
 * A helper of the other renderers: json.ts and template.ts (`/api/v1/nearest`), python-json.ts (the
 * original's routes), pac.ts (the caller's city in the PAC file's comment).
 */
export function asciiJson(text: string): string {
  return NON_ASCII.test(text) ? text.replace(NON_ASCII_ALL, escape) : text;
}

const NON_ASCII = /[\u0080-\uffff]/;
const NON_ASCII_ALL = /[\u0080-\uffff]/g;
const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
