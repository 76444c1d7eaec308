import { readFile } from 'node:fs/promises';

/** Linux reports a process's CPU time in /proc/<pid>/stat in clock ticks of 1/100 s (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** User plus system CPU seconds a process has used so far; NaN where /proc is not there. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return parseCpuSeconds(stat);
  } catch {
    return Number.NaN;
  }
}

/** Fields 14 and 15 (utime, stime) of a stat line; the command name in field 2 may hold spaces, so count after its `)`. */
export function parseCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Measures the CPU a set of processes use while `work` runs, as a share of one core each (1 = one core busy). */
export async function withCpuShares<T, K extends string>(pids: Record<K, number>, work: () => Promise<T>): Promise<{ result: T; cpu: Record<K, number> }> {
  const keys = Object.keys(pids) as K[];
  const before = await Promise.all(keys.map((k) => cpuSeconds(pids[k])));
  const started = performance.now();
  const result = await work();
  const wallS = (performance.now() - started) / 1000;
  const after = await Promise.all(keys.map((k) => cpuSeconds(pids[k])));
  const cpu = {} as Record<K, number>;
  keys.forEach((k, i) => {
    cpu[k] = ((after[i] as number) - (before[i] as number)) / wallS;
  });
  return { result, cpu };
}
