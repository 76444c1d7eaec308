import { asciiJson } from './ascii-json.js';

/**
 * Serialises like Python's `json.dumps` with default separators (`", "` and `": "`) and
 * `ensure_ascii`: deployed original clients parse the legacy routes' text with regular expressions.
 * The serialiser of legacy.ts (`/nearest`, `/nearestverified`, `/nearestcvmfs`, `/nearestconditions`, `/all`).
 */

/** A number Python held as a float (printed `0.0`, not `0`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyValue = null | boolean | string | number | PyFloat | PyValue[] | { [key: string]: PyValue };

export function pyDumps(value: PyValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return pyString(value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloatText(value);
  if (value instanceof PyFloat) return pyFloatText(value.value);
  if (Array.isArray(value)) return `[${value.map(pyDumps).join(', ')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) parts.push(`${pyString(k)}: ${pyDumps(v)}`);
  return `{${parts.join(', ')}}`;
}

/** Python's float repr: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pyFloatText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  // Where both print plain decimals (JavaScript does from 1e-7 to 1e21) they print the same shortest
  // digits; Python only adds ".0" to a whole number. Every legacy answer prints a score this way.
  const size = Math.abs(n);
  if (size >= 1e-4 && size < 1e16) {
    const text = String(n);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let text: string;
  if (exp >= 0) {
    const whole = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, '0');
    const frac = digits.length > exp + 1 ? digits.slice(exp + 1) : '0';
    text = `${whole}.${frac}`;
  } else {
    text = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return negative ? `-${text}` : text;
}

/** An object key as `json.dumps` writes it (a quoted string). */
export function pyKey(s: string): string {
  return pyString(s);
}

function pyString(s: string): string {
  // JSON.stringify escapes like Python except for non-ASCII, which ensure_ascii writes as \uXXXX.
  return asciiJson(JSON.stringify(s));
}
