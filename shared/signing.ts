import canonicalize from 'canonicalize';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from './clock.js';

/**
 * Signed heartbeats (used by the agent to sign and by the server to verify).
 *
 * A signed heartbeat is the ordinary JSON object plus three fields:
 * - `key_id`: which keyring entry signed it;
 * - `seq`: an integer that strictly increases with every message from one agent (our agent uses
 *   milliseconds since the epoch, bumped by one when two messages fall in the same millisecond, so it
 *   keeps increasing across restarts);
 * - `signature`: lowercase hex HMAC-SHA256 of the canonical form, keyed with the UTF-8 bytes of the secret.
 *
 * The canonical form is the JSON object WITHOUT its `signature` field, serialised per RFC 8785 (JSON
 * Canonicalization Scheme): keys sorted by UTF-16 code units, no whitespace, strings as JSON.stringify
 * writes them, numbers in ECMAScript shortest form (`0` not `0.0`, `1e+21` not `1e21`). `key_id`, `seq` and
 * `timestamp` are inside it, so none of them can be changed without breaking the signature.
 */

export const SIGNATURE_FIELD = 'signature';
export const KEY_ID_FIELD = 'key_id';
export const SEQ_FIELD = 'seq';

const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

/** Starts with a letter or digit, so `__proto__` and friends can never be key ids. */
export const KeyIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'key ids are 1-64 letters, digits, ".", "_", ":", "-"');

/** The bytes that are signed; throws on values JSON cannot carry (NaN, lone surrogates, cycles). */
export function canonicalForm(message: Readonly<Record<string, unknown>>): string {
  const unsigned: Record<string, unknown> = {};
  // Own enumerable keys only, copied with defineProperty so a `__proto__` key stays a plain key.
  for (const key of Object.keys(message)) {
    if (key !== SIGNATURE_FIELD) Object.defineProperty(unsigned, key, { value: message[key], enumerable: true, configurable: true, writable: true });
  }
  const text = canonicalize(unsigned);
  if (text === undefined) throw new Error('message has no canonical form');
  return text;
}

/** Lowercase hex HMAC-SHA256 of the message's canonical form. */
export function computeSignature(secret: string, message: Readonly<Record<string, unknown>>): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(canonicalForm(message), 'utf8').digest('hex');
}

/** A copy of `message` carrying `key_id`, `seq` and its `signature`. */
export function signMessage(message: Readonly<Record<string, unknown>>, key: { keyId: string; secret: string }, seq: number): Record<string, unknown> {
  const body: Record<string, unknown> = { ...message, [KEY_ID_FIELD]: key.keyId, [SEQ_FIELD]: seq };
  delete body[SIGNATURE_FIELD];
  return { ...body, [SIGNATURE_FIELD]: computeSignature(key.secret, body) };
}

/**
 * Whether `message.signature` matches one of `secrets` (several during a key rotation). Every secret is
 * tried and compared in constant time, so timing tells nothing about which one nearly matched.
 */
export function verifySignature(message: Readonly<Record<string, unknown>>, secrets: readonly string[]): boolean {
  const claimed = message[SIGNATURE_FIELD];
  if (typeof claimed !== 'string' || !HEX_SIGNATURE.test(claimed)) return false;
  const given = Buffer.from(claimed, 'hex');
  let canonical: string;
  try {
    canonical = canonicalForm(message);
  } catch {
    return false;
  }
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(canonical, 'utf8').digest();
    if (timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}

export interface Signer {
  readonly keyId: string;
  /** Adds `key_id`, the next `seq` and the `signature`. */
  sign(message: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/** The agent's signer: `seq` follows the clock in ms and never repeats or goes back within a process. */
export function createSigner(options: { keyId: string; secret: string; clock: Clock }): Signer {
  let last = 0;
  return {
    keyId: options.keyId,
    sign(message) {
      last = Math.max(last + 1, Math.floor(options.clock.now()));
      return signMessage(message, { keyId: options.keyId, secret: options.secret }, last);
    },
  };
}
