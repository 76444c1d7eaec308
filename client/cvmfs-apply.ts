import { execFile } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Telling a running CVMFS about the new proxy list. */

export interface ApplyResult {
  /** The command run, as argv. */
  command: string[];
  ok: boolean;
  error: string | null;
}

/** Full path of `name` on PATH, or null (CVMFS not installed). */
export async function findOnPath(name: string, pathVar: string | undefined): Promise<string | null> {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return null;
}

/** Repositories mounted by CVMFS, from a mounts table (`/proc/mounts`): `cvmfs2 /cvmfs/<repo> fuse ...`. */
export function mountedRepositories(mounts: string): string[] {
  const repos: string[] = [];
  for (const line of mounts.split('\n')) {
    const [device, mountPoint] = line.split(' ');
    const m = /^\/cvmfs\/([\w.-]+)$/.exec(mountPoint ?? '');
    if (device === 'cvmfs2' && m?.[1] && !repos.includes(m[1])) repos.push(m[1]);
  }
  return repos;
}

export async function readMountedRepositories(mountsPath = '/proc/mounts'): Promise<string[]> {
  try {
    return mountedRepositories(await readFile(mountsPath, 'utf8'));
  } catch {
    return [];
  }
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ApplyResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs }, (error, _stdout, stderr) => {
      const detail = stderr.toString().trim();
      resolve({ command: [file, ...args], ok: !error, error: error ? `${error.message.split('\n')[0]}${detail ? `: ${detail}` : ''}` : null });
    });
  });
}

/**
 * `cvmfs_talk -i <repo> proxy set <value>` for each repository (the original ran `cvmfs_talk proxy set`),
 * or `cvmfs_config reload`. Does nothing when the tool is not on PATH (no CVMFS here).
 */
export async function applyToCvmfs(options: {
  mode: 'talk' | 'reload';
  value: string;
  repositories: readonly string[];
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}): Promise<{ tool: string | null; results: ApplyResult[] }> {
  const tool = await findOnPath(options.mode === 'talk' ? 'cvmfs_talk' : 'cvmfs_config', options.env.PATH);
  if (!tool) return { tool: null, results: [] };
  if (options.mode === 'reload') return { tool, results: [await run(tool, ['reload'], options.env, options.timeoutMs)] };
  const results: ApplyResult[] = [];
  for (const repo of options.repositories) results.push(await run(tool, ['-i', repo, 'proxy', 'set', options.value], options.env, options.timeoutMs));
  return { tool, results };
}
