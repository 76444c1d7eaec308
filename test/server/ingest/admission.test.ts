import { describe, expect, it } from 'vitest';
import { createSecureIngest } from '../../support/secure-ingest.js';
import { SECRETS, signed, uvicHeartbeat } from '../../support/security.js';

const body = (message: unknown) => Buffer.from(JSON.stringify(message));

describe('signature mode required', () => {
  it('accepts a good signed heartbeat and records the key that signed it', async () => {
    const s = await createSecureIngest();
    const result = await s.ingest.handle(body(signed(uvicHeartbeat('u1', s.clock.now()), 'uvic', 1)));
    expect(result).toEqual({ ok: true, event: 'joined' });
    expect(s.registry.get('u1')?.signedBy).toBe('uvic');
  });

  it('accepts the old secret of a key being rotated', async () => {
    const s = await createSecureIngest();
    expect((await s.ingest.handle(body(signed(uvicHeartbeat('u1', s.clock.now()), 'uvic', 1, SECRETS.uvicOld)))).ok).toBe(true);
  });

  it.each([
    ['an unsigned heartbeat', (now: number) => uvicHeartbeat('u1', now), 'unsigned'],
    ['a bad signature', (now: number) => ({ ...signed(uvicHeartbeat('u1', now), 'uvic', 1), load: 0 }), 'bad_signature'],
    ['a signature made with another key', (now: number) => signed(uvicHeartbeat('u1', now), 'uvic', 1, SECRETS.cern), 'bad_signature'],
    ['an unknown key id', (now: number) => ({ ...signed(uvicHeartbeat('u1', now), 'uvic', 1), key_id: 'nobody' }), 'unknown_key'],
    ['a signature without seq', (now: number) => ({ ...signed(uvicHeartbeat('u1', now), 'uvic', 1), seq: undefined }), 'bad_signature'],
    ['a seq given as text', (now: number) => signed(uvicHeartbeat('u1', now), 'uvic', '1' as unknown as number), 'bad_signature'],
    ['a timestamp outside the window', (now: number) => signed(uvicHeartbeat('u1', now - 31_000), 'uvic', 1), 'stale'],
    ['an address the key does not own', (now: number) => signed(uvicHeartbeat('u1', now, { public_ip: '188.184.1.1' }), 'uvic', 1), 'not_allowed'],
    ['a hostname the key does not own', (now: number) => signed(uvicHeartbeat('u1', now, { hostname: 'proxy.attacker.test' }), 'uvic', 1), 'not_allowed'],
    ['a network the key does not own', (now: number) => signed(uvicHeartbeat('u1', now, { networks: ['0.0.0.0/0'] }), 'uvic', 1), 'not_allowed'],
    ['a body that is not an object', () => [1, 2], 'unsigned'],
  ])('rejects %s, counted by reason, leaving the registry as it was', async (_what, make, reason) => {
    const s = await createSecureIngest();
    const result = await s.ingest.handle(body(make(s.clock.now())));
    expect(result.ok).toBe(false);
    expect(await s.rejected(reason)).toBe(1);
    expect(s.registry.snapshot()).toHaveLength(0);
  });

  it('rejects a replayed message, and a message with an older seq, but takes the next one', async () => {
    const s = await createSecureIngest();
    const first = body(signed(uvicHeartbeat('u1', s.clock.now()), 'uvic', 10));
    expect((await s.ingest.handle(first)).ok).toBe(true);
    s.clock.advance(5_000);
    expect((await s.ingest.handle(first)).ok).toBe(false);
    expect((await s.ingest.handle(body(signed(uvicHeartbeat('u1', s.clock.now(), { load: 99 }), 'uvic', 9)))).ok).toBe(false);
    expect(await s.rejected('replay')).toBe(2);
    expect(s.registry.get('u1')?.heartbeat.load).toBe(12.5);
    expect((await s.ingest.handle(body(signed(uvicHeartbeat('u1', s.clock.now(), { load: 50 }), 'uvic', 11)))).ok).toBe(true);
    expect(s.registry.get('u1')?.heartbeat.load).toBe(50);
  });

  it('does not let one key take over, or say goodbye for, a cache another key signs', async () => {
    const s = await createSecureIngest();
    await s.ingest.handle(body(signed(uvicHeartbeat('u1', s.clock.now()), 'uvic', 1)));
    const hijack = signed(uvicHeartbeat('u1', s.clock.now(), { hostname: 'proxy.cern.ch', public_ip: '188.184.1.1' }), 'cern', 1);
    expect((await s.ingest.handle(body(hijack))).ok).toBe(false);
    const goodbye = signed(uvicHeartbeat('u1', s.clock.now(), { hostname: 'proxy.cern.ch', public_ip: '188.184.1.1', status: 'leaving' }), 'cern', 2);
    expect((await s.ingest.handle(body(goodbye))).ok).toBe(false);
    expect(await s.rejected('ownership')).toBe(2);
    expect(s.registry.get('u1')?.heartbeat.hostname).toBe('squid.uvic.ca');
  });
});

describe('signature mode permissive', () => {
  it('accepts unsigned heartbeats and marks them unsigned', async () => {
    const s = await createSecureIngest({ mode: 'permissive' });
    expect((await s.ingest.handle(body(uvicHeartbeat('u1', s.clock.now(), { public_ip: '8.8.8.8' })))).ok).toBe(true);
    expect(s.registry.get('u1')?.signedBy).toBeNull();
  });

  it('still rejects a bad signature', async () => {
    const s = await createSecureIngest({ mode: 'permissive' });
    const forged = { ...signed(uvicHeartbeat('u1', s.clock.now()), 'uvic', 1), public_ip: '142.104.6.6' };
    expect((await s.ingest.handle(body(forged))).ok).toBe(false);
    expect(await s.rejected('bad_signature')).toBe(1);
  });

  it('does not let an unsigned heartbeat replace, or remove, a signed cache', async () => {
    const s = await createSecureIngest({ mode: 'permissive' });
    await s.ingest.handle(body(signed(uvicHeartbeat('u1', s.clock.now()), 'uvic', 1)));
    expect((await s.ingest.handle(body(uvicHeartbeat('u1', s.clock.now(), { hostname: 'evil.test' })))).ok).toBe(false);
    expect((await s.ingest.handle(body(uvicHeartbeat('u1', s.clock.now(), { status: 'leaving' })))).ok).toBe(false);
    expect(await s.rejected('ownership')).toBe(2);
    expect(s.registry.get('u1')?.heartbeat.hostname).toBe('squid.uvic.ca');
  });
});

describe('signature mode off', () => {
  it('ignores signature fields, as the original server did', async () => {
    const s = await createSecureIngest({ mode: 'off' });
    const garbage = { ...uvicHeartbeat('u1', s.clock.now()), key_id: 'nobody', seq: 'x', signature: 'nonsense' };
    expect((await s.ingest.handle(body(garbage))).ok).toBe(true);
    expect(s.registry.get('u1')?.signedBy).toBeNull();
  });
});

describe('limits (every mode)', () => {
  it('rejects a message over the size limit without parsing it', async () => {
    const s = await createSecureIngest({ mode: 'off', limits: { maxMessageBytes: 300 } });
    const big = { ...uvicHeartbeat('u1', s.clock.now()), status_reason: 'x'.repeat(400) };
    expect((await s.ingest.handle(body(big)))).toMatchObject({ ok: false, reason: expect.stringContaining('limit 300') });
    expect(await s.rejected('too_large')).toBe(1);
    expect(s.registry.snapshot()).toHaveLength(0);
  });

  it('rate-limits one agent without touching the others', async () => {
    const s = await createSecureIngest({ mode: 'off', limits: { maxHeartbeatsPerMinute: 2 } });
    for (const load of [1, 2, 3]) await s.ingest.handle(body(uvicHeartbeat('u1', s.clock.now(), { load })));
    expect(await s.rejected('rate_limited')).toBe(1);
    expect(s.registry.get('u1')?.heartbeat.load).toBe(2);
    expect((await s.ingest.handle(body(uvicHeartbeat('u2', s.clock.now())))).ok).toBe(true);
  });

  it('does not let forged messages naming an agent use up that agent\'s allowance', async () => {
    const s = await createSecureIngest({ mode: 'permissive', limits: { maxHeartbeatsPerMinute: 2 } });
    for (let i = 0; i < 5; i++) await s.ingest.handle(body({ ...signed(uvicHeartbeat('u1', s.clock.now()), 'uvic', i + 1), load: 0 }));
    expect(await s.rejected('bad_signature')).toBe(5);
    expect((await s.ingest.handle(body(signed(uvicHeartbeat('u1', s.clock.now()), 'uvic', 1)))).ok).toBe(true);
  });

  it('refuses new caches when the registry is full, yet keeps refreshing listed ones', async () => {
    const s = await createSecureIngest({ mode: 'off', limits: { maxCaches: 2 } });
    for (const uuid of ['u1', 'u2', 'u3']) await s.ingest.handle(body(uvicHeartbeat(uuid, s.clock.now())));
    expect(await s.rejected('registry_full')).toBe(1);
    expect(s.registry.snapshot().map((e) => e.id).sort()).toEqual(['u1', 'u2']);
    expect((await s.ingest.handle(body(uvicHeartbeat('u1', s.clock.now(), { load: 7 })))).ok).toBe(true);
  });

  it('refuses new caches past the per-site limit', async () => {
    const s = await createSecureIngest({ mode: 'off', limits: { maxCachesPerSite: 1 } });
    await s.ingest.handle(body(uvicHeartbeat('u1', s.clock.now(), { site: 'uvic' })));
    await s.ingest.handle(body(uvicHeartbeat('u2', s.clock.now(), { site: 'uvic' })));
    await s.ingest.handle(body(uvicHeartbeat('u3', s.clock.now(), { site: 'cern' })));
    expect(await s.rejected('site_full')).toBe(1);
    expect(s.registry.snapshot().map((e) => e.id).sort()).toEqual(['u1', 'u3']);
  });
});
