import { describe, expect, it } from 'vitest';
import { createManualClock } from '../support/clock.js';
import { canonicalForm, computeSignature, createSigner, signMessage, verifySignature } from '../../shared/signing.js';

const MESSAGE = {
  uuid: 'de68abcae62c11f192f902fc00000001',
  hostname: 'squid.example.org',
  cache_port: '3128',
  timestamp: 1795321580.5,
  load: 0.0,
  public_ip: '142.104.1.1',
};
const KEY = { keyId: 'uvic', secret: 'correct horse battery staple' };

describe('canonical form and signature (the README test vector)', () => {
  const signed = signMessage(MESSAGE, KEY, 1795321580500);

  it('sorts keys, drops whitespace and the signature, writes 0.0 as 0', () => {
    expect(canonicalForm(signed)).toBe(
      '{"cache_port":"3128","hostname":"squid.example.org","key_id":"uvic","load":0,"public_ip":"142.104.1.1",' +
        '"seq":1795321580500,"timestamp":1795321580.5,"uuid":"de68abcae62c11f192f902fc00000001"}',
    );
  });

  it('signs with HMAC-SHA256 in lowercase hex', () => {
    expect(signed).toMatchObject({ key_id: 'uvic', seq: 1795321580500 });
    expect(signed.signature).toBe('e6079871f2de80e8b8953faa927bc648eb960cbdeaf9cfeaf45e4854ce65b369');
    expect(verifySignature(signed, [KEY.secret])).toBe(true);
  });

  it('does not depend on key order or on the signature already present', () => {
    const reordered = Object.fromEntries(Object.entries(signed).reverse());
    expect(verifySignature(reordered, [KEY.secret])).toBe(true);
    expect(computeSignature(KEY.secret, { ...signed, signature: 'anything' })).toBe(signed.signature);
  });

  it.each([
    ['a changed load', { load: 1 }],
    ['a changed address', { public_ip: '6.6.6.6' }],
    ['another key id', { key_id: 'other' }],
    ['another seq', { seq: 1795321580501 }],
    ['another timestamp', { timestamp: 1795321590.5 }],
    ['an added field', { networks: ['0.0.0.0/0'] }],
    ['an upper-case signature', { signature: String(signed.signature).toUpperCase() }],
    ['a short signature', { signature: 'abcd' }],
    ['a signature that is not a string', { signature: 12 }],
  ])('fails for %s', (_what, change) => {
    expect(verifySignature({ ...signed, ...change }, [KEY.secret])).toBe(false);
  });

  it('fails with the wrong secret, and passes with any secret of a rotation', () => {
    expect(verifySignature(signed, ['another secret of 16+ chars'])).toBe(false);
    expect(verifySignature(signed, ['another secret of 16+ chars', KEY.secret])).toBe(true);
    expect(verifySignature(signed, [])).toBe(false);
  });

  it('treats a __proto__ key as plain data, covered by the signature', () => {
    const hostile = JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(MESSAGE).slice(1)}`) as Record<string, unknown>;
    const s = signMessage(hostile, KEY, 1);
    expect(canonicalForm(s)).toContain('"__proto__":{"polluted":true}');
    expect(verifySignature(s, [KEY.secret])).toBe(true);
    const stripped = { ...MESSAGE, key_id: 'uvic', seq: 1, signature: s.signature };
    expect(verifySignature(stripped, [KEY.secret])).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses values without a canonical form instead of throwing', () => {
    const lone = JSON.parse('{"hostname": "\\ud800", "signature": "' + '0'.repeat(64) + '"}') as Record<string, unknown>;
    expect(verifySignature(lone, [KEY.secret])).toBe(false);
  });
});

describe('createSigner', () => {
  it('gives a seq that follows the clock and never repeats or goes back', () => {
    const clock = createManualClock(1_000);
    const signer = createSigner({ ...KEY, clock });
    const seqs = [signer.sign(MESSAGE).seq, signer.sign(MESSAGE).seq];
    clock.set(500); // the clock steps back
    seqs.push(signer.sign(MESSAGE).seq);
    clock.set(5_000);
    seqs.push(signer.sign(MESSAGE).seq);
    expect(seqs).toEqual([1000, 1001, 1002, 5000]);
  });
});
