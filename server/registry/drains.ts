/**
 * Caches an operator is draining: still listed, never offered. Held per server process (a drain is an
 * operator's action on the replica it was sent to; with several replicas, send it to each).
 */
export interface DrainList {
  drain(id: string): void;
  undrain(id: string): boolean;
  has(id: string): boolean;
  ids(): string[];
  /** Changes with every drain and undrain that changed the list: what a cached answer was made under. */
  version(): number;
}

export function createDrainList(): DrainList {
  const drained = new Set<string>();
  let version = 0;
  return {
    drain: (id) => {
      if (!drained.has(id)) version++;
      drained.add(id);
    },
    undrain: (id) => {
      const was = drained.delete(id);
      if (was) version++;
      return was;
    },
    // Asked for every cache a lookup considers; nearly always nothing is drained, and then no id is hashed.
    has: (id) => drained.size > 0 && drained.has(id),
    ids: () => [...drained].sort(),
    version: () => version,
  };
}
