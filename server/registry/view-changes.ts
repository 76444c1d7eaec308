import type { CacheEntry } from '../model/cache.js';

/** Writes remembered; past this the older half is forgotten (a consumer that far behind builds afresh). */
const MAX_LOG = 8192;

/**
 * Which slots of a registry's view changed between two of its versions. The memory registry's view is
 * copy-on-write: each copy is a new version, and while it is not handed out the registry writes into it,
 * either in place (a heartbeat or a verification of a listed cache: its slot) or otherwise (a join
 * appends, an expiry or a removal rebuilds: the view's shape changes). What is built from a view (the
 * lookup index, the site index) then brings itself up to date from the slots that changed, not by
 * comparing every slot of the two views: at 10,000 caches those two comparisons were most of what a
 * heartbeat cost the lookups after it.
 */
export interface ViewChanges {
  /** `view` is the next version: the writes logged from now on are written into it. */
  begin(view: readonly CacheEntry[]): void;
  /** Slot `slot` of the current version now holds another entry. */
  replaced(slot: number): void;
  /** The current version changed otherwise: no list of slots spans it. */
  reshaped(): void;
  /**
   * The slots (each once) in which `newer` differs from `older`, an earlier version; null when one of
   * them is not a version of this log, is not earlier, a change between them was not in place, or the log
   * no longer reaches back to `older`.
   */
  changedSlots(older: readonly CacheEntry[], newer: readonly CacheEntry[]): readonly number[] | null;
}

export function createViewChanges(): ViewChanges {
  const versions = new WeakMap<readonly CacheEntry[], number>();
  let version = 0;
  // Parallel arrays: the version a write went into, and its slot (-1: a reshape).
  let logVersion: number[] = [];
  let logSlot: number[] = [];
  // Every write into this version or a later one is in the log.
  let coveredFrom = 0;

  const log = (slot: number) => {
    logVersion.push(version);
    logSlot.push(slot);
    if (logVersion.length > MAX_LOG) {
      const cut = logVersion[logVersion.length >> 1] as number;
      const keep = logVersion.findIndex((v) => v > cut);
      logVersion = keep === -1 ? [] : logVersion.slice(keep);
      logSlot = keep === -1 ? [] : logSlot.slice(keep);
      coveredFrom = cut + 1;
    }
  };

  return {
    begin(view) {
      version++;
      versions.set(view, version);
    },
    replaced: (slot) => log(slot),
    reshaped: () => log(-1),
    changedSlots(older, newer) {
      const from = versions.get(older);
      const to = versions.get(newer);
      if (from === undefined || to === undefined || from > to || from + 1 < coveredFrom) return null;
      const slots = new Set<number>();
      for (let i = logVersion.length - 1; i >= 0 && (logVersion[i] as number) > from; i--) {
        if ((logVersion[i] as number) > to) continue;
        const slot = logSlot[i] as number;
        if (slot === -1) return null;
        slots.add(slot);
      }
      return [...slots];
    },
  };
}
