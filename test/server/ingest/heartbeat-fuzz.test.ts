import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHeartbeat } from '../../../shared/heartbeat.js';
import { addressField, hostField, pacMember, proxyUrl } from '../../../shared/proxy-string.js';
import { canonicalForm } from '../../../shared/signing.js';
import { hostileValue, PROTOTYPE_KEYS, rawNumberToken } from '../../support/adversarial.js';
import { expectAddress, expectHost, expectHostPort, expectProxyUrl } from '../../support/proxy-grammar.js';
import { createSecureIngest } from '../../support/secure-ingest.js';
import { signed, uvicHeartbeat } from '../../support/security.js';

/** Field names the parser knows, plus the signature fields and prototype keys: where mutations matter. */
const FIELDS = [
  'uuid', 'hostname', 'cache_port', 'squid_port', 'cache_type', 'upstream', 'verified', 'max_load', 'load', 'timestamp',
  'public_ip', 'private_ip', 'external_ip', 'site', 'networks', 'latitude', 'longitude', 'access', 'status', 'status_reason',
  'request_rate', 'client_count', 'key_id', 'seq', 'signature', ...PROTOTYPE_KEYS,
];

const NOW = Date.UTC(2026, 5, 1);
const BASE = uvicHeartbeat('fuzzagent', NOW);

/** A valid heartbeat with some fields replaced by hostile values, removed, or added. */
const mutatedHeartbeat = fc
  .array(fc.tuple(fc.constantFrom(...FIELDS), fc.option(hostileValue, { nil: undefined })), { minLength: 1, maxLength: 4 })
  .map((changes) => {
    const message: Record<string, unknown> = { ...BASE };
    for (const [field, value] of changes) {
      if (value === undefined) delete message[field];
      else Object.defineProperty(message, field, { value, enumerable: true, configurable: true, writable: true });
    }
    return message;
  });

/** The same, as JSON text with a raw (non-JSON.stringify) number token in one field. */
const withRawNumber = fc.tuple(fc.constantFrom('cache_port', 'load', 'max_load', 'timestamp', 'latitude', 'longitude', 'seq'), rawNumberToken).map(([field, token]) => {
  const text = JSON.stringify({ ...BASE, [field]: 0, ...(field === 'latitude' ? { longitude: 0 } : {}) });
  return text.replace(`"${field}":0`, `"${field}":${token}`);
});

const anyBody = fc.oneof(
  mutatedHeartbeat.map((m) => JSON.stringify(m)),
  withRawNumber,
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
);

/** Signed as our agent would; a message with no canonical form (lone surrogates) goes unsigned. */
function signedText(message: Record<string, unknown>, seq: number): string {
  try {
    return JSON.stringify(signed(message, 'uvic', seq));
  } catch {
    return JSON.stringify(message);
  }
}

describe('heartbeat parser under hostile input', () => {
  it('never throws, and whatever it accepts is within the schema bounds', () => {
    fc.assert(
      fc.property(fc.oneof(anyBody, hostileValue), (body) => {
        const result = parseHeartbeat(body);
        if (!result.ok) {
          expect(typeof result.reason).toBe('string');
          return;
        }
        const hb = result.heartbeat;
        expect(Number.isInteger(hb.cachePort) && hb.cachePort >= 1 && hb.cachePort <= 65535).toBe(true);
        expect(Number.isFinite(hb.load) && hb.load >= 0).toBe(true);
        expect(Number.isFinite(hb.timestamp) && hb.timestamp > 0).toBe(true);
        // Typed identity: one spelling, no zone, and every encoder takes it and writes a member of the grammar.
        for (const ip of [hb.publicIp, hb.privateIp, hb.externalIp]) if (ip !== undefined) expect(expectAddress(addressField(ip), 'address')).toBe(ip);
        expect(expectHost(hostField(hb.hostname), 'hostname')).toBe(hb.hostname);
        expect(expectProxyUrl(proxyUrl(hb.hostname, hb.cachePort), 'proxyUrl')).toEqual({ host: hb.hostname, port: hb.cachePort });
        expectHostPort(pacMember(hb.hostname, hb.cachePort).slice('PROXY '.length), 'pacMember');
        if (hb.latitude !== undefined) expect(Math.abs(hb.latitude) <= 90 && Math.abs(hb.longitude as number) <= 180).toBe(true);
        expect(hb.hostname.length).toBeLessThanOrEqual(253);
        expect(Object.getPrototypeOf(hb)).toBe(Object.prototype);
      }),
      { numRuns: 3000 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('ingest under hostile input', () => {
  it.each(['off', 'permissive', 'required'] as const)('in mode %s: never throws, and a rejected message changes nothing', async (mode) => {
    const s = await createSecureIngest({ mode, limits: { maxMessageBytes: 4096 } });
    await s.ingest.handle(Buffer.from(JSON.stringify(signed(uvicHeartbeat('resident', s.clock.now()), 'uvic', 1))));
    let seq = 2;
    const outcomes = { accepted: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyBody, mutatedHeartbeat.map((m) => signedText(m, seq++))), async (body) => {
        const before = JSON.stringify(s.registry.snapshot());
        const result = await s.ingest.handle(body);
        outcomes[result.ok ? 'accepted' : 'rejected'] += 1;
        if (!result.ok) expect(JSON.stringify(s.registry.snapshot())).toBe(before);
        // Nothing but the fixture's own agents can ever get in while signatures are required.
        if (mode === 'required') for (const e of s.registry.snapshot()) expect(e.signedBy).toBe('uvic');
      }),
      { numRuns: 1500 },
    );
    // The generator must reach both sides, or the property says little.
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('rejects every change to a signed heartbeat that alters what was signed', async () => {
    const s = await createSecureIngest({ mode: 'required' });
    let seq = 1;
    await fc.assert(
      fc.asyncProperty(mutatedHeartbeat, async (mutation) => {
        const original = signed({ ...BASE, timestamp: s.clock.now() / 1000 }, 'uvic', seq++);
        const tampered = { ...original };
        for (const key of Object.keys(mutation)) if (key !== 'timestamp') Object.defineProperty(tampered, key, { value: mutation[key], enumerable: true, configurable: true, writable: true });
        for (const key of Object.keys(original)) if (!(key in mutation) && !['key_id', 'seq', 'signature'].includes(key)) delete tampered[key];
        let changed: boolean;
        try {
          changed = canonicalForm(tampered) !== canonicalForm(original) || tampered.signature !== original.signature;
        } catch {
          changed = true;
        }
        fc.pre(changed);
        const before = JSON.stringify(s.registry.snapshot());
        const result = await s.ingest.handle(Buffer.from(JSON.stringify(tampered)));
        expect(result.ok).toBe(false);
        expect(JSON.stringify(s.registry.snapshot())).toBe(before);
      }),
      { numRuns: 1000 },
    );
  });
});
