import type { VerificationState } from '../model/cache.js';

/**
 * What the world may learn of a verification: pass/fail and one of these classes. The detail (which
 * URL, `connection refused by 127.0.0.1:22`, `HTTP 400`, ...) would make the verifier a port scanner
 * for anyone who can publish a heartbeat, so it stays in the logs and behind the admin token.
 *
 * - `ok`: the test URL answered well through the cache.
 * - `refused`: no HTTP answer at all (connection refused or reset, name not found, not HTTP).
 * - `timeout`: no answer within `--verify-timeout`.
 * - `bad_answer`: an HTTP answer, but not the test file (a status other than 200, a Squid ACL page, the
 *   wrong repository).
 * - `not_probed`: the server would not connect there (not a public unicast address, and neither the
 *   keyring nor the coverage file declares the cache).
 */
export const VERIFICATION_CLASSES = ['ok', 'refused', 'timeout', 'bad_answer', 'not_probed'] as const;
export type VerificationClass = (typeof VERIFICATION_CLASSES)[number];
export type FailureClass = Exclude<VerificationClass, 'ok'>;

const CLASSES: ReadonlySet<string> = new Set(VERIFICATION_CLASSES);

/**
 * The class of a failed probe, from the reason `shared/cvmfs-probe.ts` gives: a status line or a judged
 * body is a bad answer, its deadline a timeout, and anything else (refused, reset, DNS, a parse error)
 * means no HTTP answer came. Anything new the probe learns to say lands in `refused`, never in the open.
 */
export function classifyProbeFailure(reason: string): Exclude<FailureClass, 'not_probed'> {
  if (/^no answer within \d+ ms$/.test(reason)) return 'timeout';
  if (/^HTTP \d{3}\b/.test(reason) || reason.startsWith('answer does not name repository')) return 'bad_answer';
  return 'refused';
}

/**
 * The reason a failed state records: `<class>: <detail>`. The registry (and Redis, whose stored shape
 * this module does not own) keeps only `reason`, so the class travels at its front and is read back by
 * `verificationClass`, the one place that reads it.
 */
export function failureReason(cls: FailureClass, detail: string): string {
  return `${cls}: ${detail}`;
}

/** The coarse class of a recorded state; a reason written without a class (older servers) is classified from its text. */
export function verificationClass(state: VerificationState): VerificationClass {
  if (state.ok) return 'ok';
  const reason = state.reason ?? '';
  const colon = reason.indexOf(': ');
  const head = colon === -1 ? '' : reason.slice(0, colon);
  if (CLASSES.has(head) && head !== 'ok') return head as FailureClass;
  // Older servers wrote `<url>: <probe reason>`.
  return classifyProbeFailure(colon === -1 ? reason : reason.slice(colon + 2));
}

/** The detail of a failed state, for logs and the admin routes only; null when it passed. */
export function verificationDetail(state: VerificationState): string | null {
  if (state.ok) return null;
  const reason = state.reason ?? '';
  const colon = reason.indexOf(': ');
  return colon !== -1 && CLASSES.has(reason.slice(0, colon)) ? reason.slice(colon + 2) : reason;
}

/** `verification` as public views show it: pass/fail, the coarse class, when. */
export function publicVerificationView(state: VerificationState | null) {
  if (!state) return null;
  return { ok: state.ok, class: verificationClass(state), checked_at: new Date(state.checkedMs).toISOString() };
}

/** `verification` as the admin routes show it: the public view plus the detail. */
export function adminVerificationView(state: VerificationState | null) {
  if (!state) return null;
  return { ...publicVerificationView(state)!, detail: verificationDetail(state) };
}
