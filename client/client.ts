import { stat } from 'node:fs/promises';
import type { Logger } from '../shared/logger.js';
import { formatCvmfsProxy } from '../shared/proxy-string.js';
import type { ClientConfig } from './config.js';
import { readTextIfExists, setConfigValue, writeFileAtomic, getConfigValue } from './config-file.js';
import { fetchNearest, type NearestAnswer, type ServerAttempt } from './fetch-nearest.js';

export const CVMFS_PROXY_KEY = 'CVMFS_HTTP_PROXY';

/** Exit codes of shoal-client (documented in --help and README). */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 });

export interface Decision {
  /** Which server answered, or null when none did. */
  server: string | null;
  attempts: ServerAttempt[];
  answer: NearestAnswer | null;
  proxies: string[];
  /** The CVMFS_HTTP_PROXY value, or null when there is nothing to write. */
  value: string | null;
  /** Path written, null with --dump or when nothing was written. */
  written: string | null;
  /** False when the file already held this value. */
  changed: boolean;
}

export interface ClientDeps {
  config: ClientConfig;
  logger: Logger;
  fetch?: typeof fetch;
}

/** Asks the servers and builds the proxy value; writes nothing. */
export async function decide(deps: ClientDeps): Promise<Decision> {
  const { config } = deps;
  const result = await fetchNearest({ servers: config.server, count: config.count, timeoutMs: config.timeout, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  for (const a of result.attempts) deps.logger.warn({ server: a.server, error: a.error }, 'server did not answer');
  if (!result.ok) return { server: null, attempts: result.attempts, answer: null, proxies: [], value: null, written: null, changed: false };
  const proxies = result.answer.caches.map((c) => c.proxy);
  if (result.answer.note) deps.logger.info({ note: result.answer.note }, 'server note');
  const value = formatCvmfsProxy(
    proxies.map((p) => [p]),
    { direct: config.direct },
  );
  return { server: result.server, attempts: result.attempts, answer: result.answer, proxies, value, written: null, changed: false };
}

/** Writes `CVMFS_HTTP_PROXY` into the CVMFS config file atomically, keeping every other line; skips an unchanged value. */
export async function writeProxy(path: string, value: string): Promise<boolean> {
  const current = await readTextIfExists(path);
  if (current !== null && getConfigValue(current, CVMFS_PROXY_KEY) === value) return false;
  const mode = current === null ? 0o644 : (await stat(path)).mode & 0o777;
  await writeFileAtomic(path, setConfigValue(current ?? '', CVMFS_PROXY_KEY, value), { mode });
  return true;
}

/** One client run: decide, then write unless `dump`. */
export async function runClient(deps: ClientDeps & { dump: boolean }): Promise<Decision> {
  const decision = await decide(deps);
  if (deps.dump || decision.value === null) return decision;
  const changed = await writeProxy(deps.config.cvmfsConfig, decision.value);
  deps.logger.info({ path: deps.config.cvmfsConfig, value: decision.value, changed }, changed ? 'proxy list written' : 'proxy list unchanged');
  return { ...decision, written: deps.config.cvmfsConfig, changed };
}
