import { describe, expect, it } from 'vitest';
import { classifyProbeFailure, failureReason, verificationClass, verificationDetail } from '../../../server/verification/outcome.js';

describe('coarse verification classes', () => {
  it.each([
    ['connection refused by 127.0.0.1:22', 'refused'],
    ['socket hang up', 'refused'],
    ['read ECONNRESET', 'refused'],
    ['getaddrinfo ENOTFOUND squid.example', 'refused'],
    ['Parse Error: Expected HTTP/', 'refused'],
    ['no answer within 1500 ms', 'timeout'],
    ['HTTP 400', 'bad_answer'],
    ['HTTP 403 (ERR_ACCESS_DENIED)', 'bad_answer'],
    ['answer does not name repository atlas.cern.ch (no "Natlas.cern.ch" line)', 'bad_answer'],
  ] as const)('the probe saying %j is %s', (reason, cls) => {
    expect(classifyProbeFailure(reason)).toBe(cls);
  });

  it('reads the class back from a recorded state, and keeps the detail apart', () => {
    const reason = failureReason('bad_answer', 'http://s1.test/x: HTTP 400');
    expect(verificationClass({ ok: false, reason, checkedMs: 0 })).toBe('bad_answer');
    expect(verificationDetail({ ok: false, reason, checkedMs: 0 })).toBe('http://s1.test/x: HTTP 400');
    expect(verificationClass({ ok: true, checkedMs: 0 })).toBe('ok');
    expect(verificationDetail({ ok: true, checkedMs: 0 })).toBeNull();
  });

  it('classifies a reason an older server recorded (`<url>: <probe reason>`, no class)', () => {
    expect(verificationClass({ ok: false, reason: 'http://s1.test/x: no answer within 1500 ms', checkedMs: 0 })).toBe('timeout');
    expect(verificationClass({ ok: false, reason: 'http://s1.test/x: connection refused by 127.0.0.1:1', checkedMs: 0 })).toBe('refused');
    expect(verificationClass({ ok: false, checkedMs: 0 })).toBe('refused');
  });
});
