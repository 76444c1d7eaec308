import { isLeaving, verificationFailed, type CacheEntry } from '../model/cache.js';
import type { OfferState, PageState } from '../model/state.js';
import { verificationClass, type VerificationClass } from '../verification/outcome.js';

/**
 * Why a cache is in its page state, in words the page prints under the badge (never only in a tooltip:
 * touch screens have no hover). Built from the same rules the state is (model/state.ts), most telling
 * first, as pageState weighs them: the server's own check, a goodbye, the agent's self-check.
 */

/** The server check's coarse classes (verification/outcome.ts) for a reader: the detail stays behind the admin token. */
export const VERIFICATION_TEXT: Record<VerificationClass, string> = {
  ok: 'passed',
  refused: 'refused (no HTTP answer)',
  timeout: 'timeout (no answer in time)',
  bad_answer: 'bad answer (not the test file)',
  not_probed: 'not probed (no public address)',
};

export function stateReason(entry: CacheEntry, state: PageState): string {
  const hb = entry.heartbeat;
  const check = entry.verification === null ? null : verificationClass(entry.verification);
  if (state === 'failing') {
    if (verificationFailed(entry) && check !== null) return `server check: ${VERIFICATION_TEXT[check]}`;
    if (isLeaving(hb)) return 'leaving: its agent said goodbye';
    return hb.statusReason ? `agent's self-check: ${hb.statusReason}` : "its agent's self-check fails";
  }
  if (state === 'verified') return check === 'ok' ? 'server check: passed' : 'its agent verified it';
  return 'checked by neither its agent nor the server';
}

/** What a lookup does with a cache that is not simply offered (offerState), said once per state. */
export const OFFER_NOTE: Record<OfferState, string | null> = {
  ok: null,
  overloaded: 'at or over its max load: offered only when nothing else is left',
  failing: 'offered only when nothing else is left',
  unverified: 'offered only inside its own site',
  draining: 'drained by an operator: listed, never offered',
};
