import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const SERVER_BIN = fileURLToPath(new URL('../server/main.js', import.meta.url));
export const CLIENT_BIN = fileURLToPath(new URL('../client/cli.js', import.meta.url));

export interface ServerProcess {
  url: string;
  pid: number;
  /** Resident set size and its peak, in MB, from /proc/<pid>/status. */
  memory(): Promise<{ rssMb: number; peakMb: number }>;
  /** The last lines of the server's output (for error messages). */
  tail(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node dist/server/main.js` as a user would, on loopback and a free port. `cpuProfileDir` adds
 * `--cpu-prof` (SHOAL_BENCH_CPU_PROF=dir): the profile is written there when the server stops.
 */
export async function startServerProcess(args: string[], options: { cpuProfileDir?: string | undefined } = {}): Promise<ServerProcess> {
  const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
  // --no-verify: the server's own checks would fetch through every bench cache, at addresses all over the world.
  const child = spawn(process.execPath, [...nodeArgs, SERVER_BIN, '--host', '127.0.0.1', '--port', '0', '--no-verify', '--warmup', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SHOAL_CONFIG: '' },
  });
  const lines: string[] = [];
  let partial = '';
  let onLine: ((line: string) => void) | null = null;
  const collect = (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      onLine?.(line);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tail = () => lines.slice(-30).join('\n');

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 20 s:\n${tail()}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`server exited (${code}) while starting:\n${tail()}`)));
    onLine = (line) => {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(line);
      if (m && line.includes('listening on')) {
        clearTimeout(timer);
        onLine = null;
        resolve(m[1] as string);
      }
    };
  });

  return {
    url,
    pid: child.pid as number,
    tail,
    async memory() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
      return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 12_000);
      await exited;
      clearTimeout(kill);
    },
  };
}
