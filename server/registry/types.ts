import type { CacheEntry, VerificationState } from '../model/cache.js';

/** How the registry's backing store is doing (for `/readyz`). */
export interface RegistryHealth {
  /**
   * `ok`: in step with its store; `degraded`: the store is unreachable, answers come from the last view;
   * `loading`: no view yet (a replica that started while its store was unreachable).
   */
  status: 'ok' | 'degraded' | 'loading';
  /** Which implementation: `memory` or `redis`. */
  backend: string;
  /** Why it is not ok, when it is not. */
  reason?: string | undefined;
}

/** Registry.changedSlots as a function of its own (what is built from views takes it). */
export type ChangedSlots = (older: readonly CacheEntry[], newer: readonly CacheEntry[]) => readonly number[] | null;

/** What a shared seq ledger says to a signed message's seq: taken, or not above the agent's last. */
export type SeqClaim = { ok: true } | { ok: false; lastSeq: number };

/**
 * Where caches live while their heartbeats keep coming. Writes are async (a shared store may sit
 * behind them); reads come from a local view so a lookup never waits on I/O.
 */
export interface Registry {
  /** Insert or refresh an entry; says whether the cache is new. */
  put(entry: CacheEntry): Promise<'joined' | 'updated'>;
  /**
   * Remove at once (goodbye, admin); returns what was removed. `goodbye.sentMs`: the goodbye's own
   * timestamp (its agent's clock), so no heartbeat the agent sent before it can list the cache again, even
   * one another replica writes after the goodbye (a shared registry orders them by it).
   */
  remove(id: string, goodbye?: { sentMs: number }): Promise<CacheEntry | undefined>;
  /** Record a verification result without touching liveness. */
  setVerification(id: string, state: VerificationState): Promise<void>;
  get(id: string): CacheEntry | undefined;
  /** Live entries (not expired at the clock's now). Cheap: cached until something changes or expires. */
  snapshot(): readonly CacheEntry[];
  /**
   * The slots in which `newer` differs from `older`, two views this registry handed out, when `newer` is
   * `older` with entries replaced in place (heartbeats and verifications of listed caches); null when not
   * known so (a join, a leave or an expiry between them, or views of another registry). Absent: never known.
   */
  changedSlots?(older: readonly CacheEntry[], newer: readonly CacheEntry[]): readonly number[] | null;
  /** How many entries `snapshot()` would hold, without handing out a view (admission counts on every join). */
  size(): number;
  /** Drop expired entries and return them (for logs and metrics). */
  sweep(): Promise<CacheEntry[]>;
  close(): Promise<void>;
  /** The backing store's state; absent means always ok (the in-memory registry). */
  health?(): RegistryHealth;
  /**
   * Present when replicas share the registry (Redis): replay state must be shared with it too, or a second
   * replica, or a restarted one, takes what the first already took. Atomically records `seq` (and the
   * message's timestamp) as `agent`'s latest for `ttlMs` if it is above the stored one; else says the
   * stored one. Throws when the store cannot be reached.
   */
  claimSeq?(agent: string, seq: number, timestampMs: number, ttlMs: number): Promise<SeqClaim>;
}
