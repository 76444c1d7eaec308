import { readFile } from 'node:fs/promises';
import type { Clock } from '../shared/clock.js';

/** Where the agent's `load` (outgoing kB/s) comes from; the demo swaps in a simulated one. */
export interface LoadSource {
  /** Load since the previous sample, in kB/s (0 on the first call). */
  sample(): Promise<number>;
}

/** Name of the interface carrying the default route, from /proc/net/route; null if none. */
export async function defaultRouteInterface(readText: (path: string) => Promise<string> = (p) => readFile(p, 'utf8')): Promise<string | null> {
  try {
    const lines = (await readText('/proc/net/route')).split('\n').slice(1);
    for (const line of lines) {
      const [iface, destination] = line.trim().split(/\s+/);
      if (iface && destination === '00000000') return iface;
    }
  } catch {
    // Not Linux, or /proc unavailable.
  }
  return null;
}

/** Outgoing kB/s of one interface from `/sys/class/net/<iface>/statistics/tx_bytes`, as the original agent. */
export function createTxBytesLoad(options: {
  iface: string;
  clock: Clock;
  readText?: (path: string) => Promise<string>;
}): LoadSource {
  const readText = options.readText ?? ((p: string) => readFile(p, 'utf8'));
  const path = `/sys/class/net/${options.iface}/statistics/tx_bytes`;
  let previous: { bytes: number; atMs: number } | null = null;
  return {
    async sample() {
      const bytes = Number((await readText(path)).trim());
      if (!Number.isFinite(bytes)) throw new Error(`unreadable counter in ${path}`);
      const atMs = options.clock.now();
      const last = previous;
      previous = { bytes, atMs };
      if (!last || atMs <= last.atMs || bytes < last.bytes) return 0; // first sample, or counter reset
      return (bytes - last.bytes) / 1024 / ((atMs - last.atMs) / 1000);
    },
  };
}

/** NIC speed as a max load in kB/s, from `/sys/class/net/<iface>/speed` (Mb/s); null when unknown. */
export async function interfaceMaxLoad(iface: string, readText: (path: string) => Promise<string> = (p) => readFile(p, 'utf8')): Promise<number | null> {
  try {
    const mbps = Number((await readText(`/sys/class/net/${iface}/speed`)).trim());
    return Number.isFinite(mbps) && mbps > 0 ? (mbps * 1000) / 8 : null;
  } catch {
    return null;
  }
}
