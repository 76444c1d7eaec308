import { describe, expect, it } from 'vitest';
import type { Heartbeat } from '../../../shared/heartbeat.js';
import {
  addressForCaller,
  effectiveMaxLoad,
  isDegraded,
  isLeaving,
  isOverloaded,
  isVerified,
  publicAddress,
  servesUpstream,
  verificationAllows,
  verificationFailed,
  type CacheEntry,
  type VerificationState,
} from '../../../server/model/cache.js';
import { ip } from '../../support/identity.js';
import { cacheEntry, heartbeat } from '../../support/cache-entry.js';

const entry = (hb: Partial<Heartbeat> = {}, verification: VerificationState | null = null): CacheEntry => cacheEntry(heartbeat(hb), { verification });

const passed: VerificationState = { ok: true, checkedMs: 1 };
const failed: VerificationState = { ok: false, reason: 'timeout', checkedMs: 1 };

describe('publicAddress', () => {
  it.each([
    ['public and external: public', { publicIp: ip('192.0.2.1'), externalIp: ip('198.51.100.1') }, '192.0.2.1'],
    ['external only (NAT): external', { externalIp: ip('198.51.100.1') }, '198.51.100.1'],
    ['a private address is never public', { privateIp: ip('10.0.0.1') }, undefined],
    ['none', {}, undefined],
  ] as const)('%s', (_why, hb, expected) => {
    expect(publicAddress(heartbeat(hb))).toBe(expected);
  });
});

describe('addressForCaller', () => {
  it.each([
    ['a private cache, caller in its site: its private address', { access: 'private', privateIp: ip('10.0.0.1') }, true, '10.0.0.1'],
    ['a private cache, caller outside: its hostname', { access: 'private', privateIp: ip('10.0.0.1') }, false, 'squid.site.test'],
    ['a private cache with no private address: its hostname', { access: 'private' }, true, 'squid.site.test'],
    ['a site cache, caller in its site: its hostname', { access: 'site', privateIp: ip('10.0.0.1') }, true, 'squid.site.test'],
    ['a global cache: its hostname', { privateIp: ip('10.0.0.1') }, true, 'squid.site.test'],
  ] as const)('%s', (_why, hb, callerInSite, expected) => {
    expect(addressForCaller(heartbeat(hb), callerInSite)).toBe(expected);
  });
});

describe('effectiveMaxLoad, isOverloaded, isDegraded', () => {
  it.each([
    // why, heartbeat, default max load, effective max load, overloaded, degraded
    ['its own max load', { maxLoad: 1000, load: 10 }, 5, 1000, false, false],
    ['none sent: the default', { maxLoad: null, load: 10 }, 122_000, 122_000, false, false],
    ['at its max load', { maxLoad: 1000, load: 1000 }, 5, 1000, true, true],
    ['over the default', { maxLoad: null, load: 200 }, 100, 100, true, true],
    ['failing, under its max load', { status: 'failing', load: 10 }, 5, 1000, false, true],
    ['leaving is not degraded', { status: 'leaving', load: 10 }, 5, 1000, false, false],
  ] as const)('%s', (_why, hb, defaultMaxLoad, maxLoad, overloaded, degraded) => {
    expect(effectiveMaxLoad(heartbeat(hb), defaultMaxLoad)).toBe(maxLoad);
    expect(isOverloaded(heartbeat(hb), defaultMaxLoad)).toBe(overloaded);
    expect(isDegraded(heartbeat(hb), defaultMaxLoad)).toBe(degraded);
  });
});

describe('isLeaving', () => {
  it.each([
    ['ok', false],
    ['failing', false],
    ['leaving', true],
  ] as const)('%s → %s', (status, expected) => {
    expect(isLeaving(heartbeat({ status }))).toBe(expected);
  });
});

describe('servesUpstream', () => {
  it.each([
    ['both', 'cvmfs', true],
    ['both', 'frontier', true],
    ['cvmfs', 'cvmfs', true],
    ['cvmfs', 'frontier', false],
    ['frontier', 'cvmfs', false],
    ['frontier', 'frontier', true],
  ] as const)('a %s cache serves %s: %s', (upstream, asked, expected) => {
    expect(servesUpstream(heartbeat({ upstream }), asked)).toBe(expected);
  });
});

describe('isVerified, verificationFailed', () => {
  it.each([
    ['nobody checked', false, null, false, false],
    ['the agent says so', true, null, true, false],
    ['the server check passed', false, passed, true, false],
    ['the server check failed', false, failed, false, true],
    ['the agent says so, the server check failed', true, failed, true, true],
  ] as const)('%s', (_why, verified, verification, expectVerified, expectFailed) => {
    expect(isVerified(entry({ verified }, verification))).toBe(expectVerified);
    expect(verificationFailed(entry({ verified }, verification))).toBe(expectFailed);
  });
});

describe('verificationAllows', () => {
  it.each([
    ['not checked yet, caller outside', null, false, true],
    ['passed, caller outside', passed, false, true],
    ['failed, caller outside', failed, false, false],
    ['failed, caller in its site', failed, true, true],
  ] as const)('%s → %s', (_why, verification, callerInSite, expected) => {
    expect(verificationAllows(entry({}, verification), callerInSite)).toBe(expected);
  });
});
