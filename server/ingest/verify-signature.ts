import { z } from 'zod';
import { KEY_ID_FIELD, KeyIdSchema, SEQ_FIELD, SIGNATURE_FIELD, verifySignature } from '../../shared/signing.js';
import type { KeyEntry, Keyring } from './keyring.js';

/** `off`: signatures ignored (original agents); `permissive`: unsigned accepted, bad ones rejected; `required`. */
export const SignatureModeSchema = z.enum(['off', 'permissive', 'required']);
export type SignatureMode = z.infer<typeof SignatureModeSchema>;

export type SignatureCheck =
  | { status: 'unsigned' }
  | { status: 'signed'; key: KeyEntry; seq: number }
  | { status: 'rejected'; reason: 'unsigned' | 'unknown_key' | 'bad_signature'; detail: string };

const SeqSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * Checks the signature fields of a parsed JSON object (before the heartbeat schema, which drops them).
 * A message carrying any of `key_id`, `seq`, `signature` counts as signed and must carry all three, valid.
 */
export function checkSignature(message: Readonly<Record<string, unknown>>, mode: SignatureMode, keyring: Keyring | null): SignatureCheck {
  if (mode === 'off') return { status: 'unsigned' };
  const has = (field: string) => Object.prototype.hasOwnProperty.call(message, field);
  if (!has(KEY_ID_FIELD) && !has(SIGNATURE_FIELD) && !has(SEQ_FIELD)) {
    return mode === 'required' ? { status: 'rejected', reason: 'unsigned', detail: 'unsigned heartbeat (signatures are required)' } : { status: 'unsigned' };
  }
  const keyId = KeyIdSchema.safeParse(message[KEY_ID_FIELD]);
  if (!keyId.success) return { status: 'rejected', reason: 'bad_signature', detail: 'key_id missing or malformed' };
  const seq = SeqSchema.safeParse(message[SEQ_FIELD]);
  if (!seq.success) return { status: 'rejected', reason: 'bad_signature', detail: 'seq missing or not a non-negative integer' };
  const key = keyring?.get(keyId.data);
  if (!key) return { status: 'rejected', reason: 'unknown_key', detail: `no key ${keyId.data} in the keyring` };
  if (!verifySignature(message, key.secrets)) return { status: 'rejected', reason: 'bad_signature', detail: `signature does not verify with key ${keyId.data}` };
  return { status: 'signed', key, seq: seq.data };
}
