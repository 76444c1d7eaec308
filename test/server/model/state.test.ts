import { describe, expect, it } from 'vitest';
import type { Heartbeat } from '../../../shared/heartbeat.js';
import type { CacheEntry, VerificationState } from '../../../server/model/cache.js';
import { OFFER_STATES, PAGE_STATES, offerState, pageState } from '../../../server/model/state.js';
import { cacheEntry, heartbeat } from '../../support/cache-entry.js';

const entry = (hb: Partial<Heartbeat> = {}, verification: VerificationState | null = null): CacheEntry => cacheEntry(heartbeat(hb), { verification });

const failed: VerificationState = { ok: false, reason: 'timeout', checkedMs: 1 };
const passed: VerificationState = { ok: true, checkedMs: 1 };
const drained = () => true;
const none = () => false;

// Both sets side by side: where a row's two states read alike but mean different things, the state
// vocabularies disagree (see model/state.ts); these rows pin what each says today.
describe('offerState and pageState', () => {
  it.each([
    // why, heartbeat, server check, drained, offer state, page state
    ['nothing special', {}, null, none, 'ok', 'unverified'],
    ['the agent says verified', { verified: true }, null, none, 'ok', 'verified'],
    ['the server check passed', {}, passed, none, 'ok', 'verified'],
    ['overloaded (shown apart on the page)', { load: 1000, verified: true }, null, none, 'overloaded', 'verified'],
    ['the agent self-check fails', { status: 'failing', verified: true }, null, none, 'failing', 'failing'],
    ['leaving: offer state by load, failing on the page', { status: 'leaving' }, null, none, 'ok', 'failing'],
    ['the server check failed: "unverified" against "failing"', { verified: true }, failed, none, 'unverified', 'failing'],
    ['failing and the server check failed: the server first', { status: 'failing' }, failed, none, 'unverified', 'failing'],
    ['drained (shown apart on the page)', { verified: true }, null, drained, 'draining', 'verified'],
    ['drained and failing: the drain first', { status: 'failing' }, failed, drained, 'draining', 'failing'],
  ] as const)('%s', (_why, hb, verification, isDrained, offer, page) => {
    expect(offerState(entry(hb, verification), 122_000, isDrained)).toBe(offer);
    expect(pageState(entry(hb, verification))).toBe(page);
  });

  it('uses the default max load for a cache that sent none', () => {
    expect(offerState(entry({ maxLoad: null, load: 500 }), 500, none)).toBe('overloaded');
    expect(offerState(entry({ maxLoad: null, load: 499 }), 500, none)).toBe('ok');
  });

  it('keeps the label sets on the wire as they were', () => {
    expect(OFFER_STATES).toEqual(['ok', 'overloaded', 'failing', 'unverified', 'draining']);
    expect(PAGE_STATES).toEqual(['verified', 'unverified', 'failing']);
  });
});
