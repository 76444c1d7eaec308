import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { ClientConfig } from './config.js';
import { applyToCvmfs, readMountedRepositories, type ApplyResult } from './cvmfs-apply.js';
import { discoverLanCaches, type Heard } from './discovery.js';
import { fetchNearest, type NearestAnswer, type ServerAttempt } from './fetch-nearest.js';
import { createLastGoodStore, type LastGoodStore } from './last-good.js';
import { memberOf, NOT_A_MEMBER, parseProxyList, printable, type ProxyUrl, type RejectedMember } from './proxy-member.js';
import { buildCvmfsValue, chunk, mergeFrontierServer, orderVerified, rankGroups, type Candidate, type Checked } from './proxy-plan.js';
import { checkProxy, frontierTestUrls } from './verify-proxy.js';
import { siteDefaultOf, writeProxy } from './write-proxy.js';

export { CVMFS_PROXY_KEY, writeProxy } from './write-proxy.js';

/** Exit codes of shoal-client (documented in --help and README). */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, fallback: 3 });

/** Everything one run decided, as `--json` prints it. */
export interface Decision {
  mode: 'cvmfs' | 'frontier';
  /** `ok`: fresh verified proxies; `fallback`: last good list or site defaults; `failed`: nothing usable. */
  outcome: 'ok' | 'fallback' | 'failed';
  /** Why the run fell back or failed. */
  reason: string | null;
  server: string | null;
  attempts: ServerAttempt[];
  /** What the server said. */
  answer: NearestAnswer | null;
  lan: Heard[];
  /** Proxies refused before any test fetch (not a well-formed member), each named and why. */
  rejected: RejectedMember[];
  /** Every candidate and how its test fetch went. */
  checked: Checked[];
  /** Proxies chosen, in fail-over order, before site defaults and DIRECT. */
  proxies: ProxyUrl[];
  fallback: { source: 'last-good' | 'defaults'; savedAt: string | null } | null;
  /** The site default proxies and where they came from: the setting, or the CVMFS config's own line. */
  siteDefault: { from: 'setting' | 'cvmfs-config'; value: string } | null;
  /** CVMFS_HTTP_PROXY (or FRONTIER_SERVER with --frontier); null when nothing usable. */
  value: string | null;
  written: string | null;
  changed: boolean;
  applied: { tool: string | null; results: ApplyResult[] } | null;
}

export interface ClientDeps {
  config: ClientConfig;
  logger: Logger;
  clock: Clock;
  /** PATH (for cvmfs_talk) and the environment cvmfs_talk runs in. */
  env: NodeJS.ProcessEnv;
  dump?: boolean;
  frontier?: boolean;
  fetch?: typeof fetch;
  lastGood?: LastGoodStore;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  mountsPath?: string;
  /** Runs between temp file and rename of the CVMFS config (crash tests). */
  beforeRename?: () => Promise<void>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One client run: wait, ask, verify, decide, and (unless dump or frontier) write and apply. */
export async function runClient(deps: ClientDeps): Promise<Decision> {
  const { config, clock } = deps;
  const log = deps.logger.child({ component: 'client' });
  const mode = deps.frontier ? 'frontier' : 'cvmfs';
  const store = deps.lastGood ?? createLastGoodStore(config.stateFile);

  // --dump and --frontier are someone (or a script: FRONTIER_SERVER="$(shoal-client --frontier)") waiting
  // for the answer now, not the fleet's cron'd write: no spreading delay.
  const delayMs = deps.dump || deps.frontier ? 0 : Math.floor((deps.random ?? Math.random)() * config.startDelay * 1000);
  if (delayMs > 0) {
    log.debug({ delayMs }, 'start delay');
    await (deps.sleep ?? sleepFor)(delayMs);
  }
  const deadline = clock.now() + config.budget;
  const left = () => Math.max(0, deadline - clock.now());
  // Every proxy that is not a member is dropped here, by name; the others are kept.
  const rejected: RejectedMember[] = [];
  const reject = (r: RejectedMember) => {
    rejected.push(r);
    log.warn({ source: r.source, proxy: r.member, reason: r.reason }, 'proxy refused: not a well-formed proxy member; dropped');
  };

  // The original listens for LAN broadcasts only for CVMFS; a LAN cache's upstream is often unknown.
  const lanPromise =
    mode === 'cvmfs' && config.discoveryTime > 0
      ? discoverLanCaches({ durationMs: Math.min(config.discoveryTime, left()), port: config.discoveryPort, queryAddress: config.discoveryAddress }, log)
      : Promise.resolve([]);
  const result = await fetchNearest({
    servers: config.server,
    count: Math.min(100, config.count + 5), // spares, as the original asks for n+5, so failures can be dropped
    timeoutMs: config.timeout,
    upstream: mode,
    deadlineMs: deadline,
    now: () => clock.now(),
    onRejected: reject,
    onNote: (n) => log.info({ server: n.server }, n.message),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  for (const a of result.attempts) log.warn({ server: a.server, error: a.error }, a.refused === undefined ? 'server did not answer' : 'server listed no valid proxy');
  const lan = (await lanPromise).filter((h) => h.upstream === undefined || h.upstream !== (mode === 'cvmfs' ? 'frontier' : 'cvmfs'));
  const answer = result.ok ? result.answer : null;
  if (answer?.note) log.info({ note: answer.note }, 'server note');

  const candidates: Candidate[] = [];
  const add = (c: Candidate) => {
    if (!candidates.some((x) => x.url === c.url)) candidates.push(c);
  };
  lan.forEach((h, i) => {
    const member = memberOf(h.ip, h.port);
    if (member === null) reject({ source: 'lan', member: printable(`${h.ip}:${h.port}`), reason: NOT_A_MEMBER });
    else add({ url: member.url, source: 'lan', group: 0, position: i, score: null });
  });
  const groups = rankGroups(answer?.caches ?? [], config.rankTolerance);
  answer?.caches.forEach((c, i) => add({ url: c.proxy, source: 'server', group: 1 + (groups[i] ?? 0), position: i, score: c.score ?? null }));

  // A proxy for Frontier is tested with a Frontier request to the servers FRONTIER_SERVER names.
  const testUrls = mode === 'frontier' ? frontierTestUrls(config.frontierServer) : [config.testUrl];
  if (config.verify && testUrls.length === 0) log.warn('FRONTIER_SERVER names no (serverurl=http://...): proxies are not tested');
  const verifyAll = (list: readonly Candidate[]): Promise<Checked[]> =>
    Promise.all(
      list.map(async (c) => {
        if (!config.verify || testUrls.length === 0) return { ...c, ok: true, ms: null, error: null };
        const check = await checkProxy(c.url, testUrls, { timeoutMs: Math.max(1, Math.min(config.verifyTimeout, left())) });
        if (!check.ok) log.warn({ proxy: c.url, source: c.source, error: check.error }, 'proxy failed its test fetch; dropped');
        return { ...c, ...check };
      }),
    );
  const checked = await verifyAll(candidates);
  const fresh = orderVerified(checked, config.reorder).slice(0, config.count).map((c) => c.url);
  const state = await store.load();
  // With no site default configured, the CVMFS config's own CVMFS_HTTP_PROXY is one (as the original client
  // read it); only for the run that writes that file, which knows what it wrote there itself.
  const fileDefault = mode === 'cvmfs' ? await siteDefaultOf(config.cvmfsConfig, state.written) : null;
  const siteDefault = config.defaultProxy !== '' ? { from: 'setting' as const, value: config.defaultProxy } : fileDefault ? { from: 'cvmfs-config' as const, value: fileDefault } : null;
  const parsedDefaults = parseProxyList(siteDefault?.value ?? '');
  for (const bad of parsedDefaults.rejected) reject({ source: 'defaults', member: printable(bad), reason: NOT_A_MEMBER });
  const defaults = parsedDefaults.groups;

  const decision: Decision = { mode, outcome: 'ok', reason: null, server: result.ok ? result.server : null, attempts: result.attempts, answer, lan, rejected, checked, proxies: fresh, fallback: null, siteDefault, value: null, written: null, changed: false, applied: null };

  if (fresh.length === 0) {
    const noServer = result.attempts.some((a) => a.refused !== undefined) ? 'no server listed a valid proxy' : 'no server answered';
    decision.reason = !result.ok ? noServer : candidates.length === 0 ? 'the server listed no proxy' : 'no proxy passed its test fetch';
    const saved = state;
    for (const r of saved.rejected) reject(r);
    if (saved.error) log.warn({ error: saved.error }, 'cannot read the last good list');
    if (saved.value) {
      decision.outcome = 'fallback';
      // Prefer the saved proxies that still work; if none does (or the run is out of time), keep them all:
      // the saved list is still a better guess than nothing.
      const again = await verifyAll(saved.value.proxies.map((url, i) => ({ url, source: 'last-good' as const, group: 0, position: i, score: null })));
      decision.checked.push(...again);
      const working = again.filter((c) => c.ok).map((c) => c.url);
      decision.proxies = working.length > 0 ? working : saved.value.proxies;
      decision.fallback = { source: 'last-good', savedAt: saved.value.savedAt };
    } else if (defaults.length > 0 || (mode === 'frontier' && config.frontierServer !== '')) {
      // For --frontier the FRONTIER_SERVER given, unchanged, is the default: better than printing nothing.
      decision.outcome = 'fallback';
      decision.fallback = { source: 'defaults', savedAt: null };
    } else {
      decision.outcome = 'failed';
      log.error({ reason: decision.reason }, 'no usable proxy and no last good list or site default: leaving the configuration as it is');
      return decision;
    }
    log.warn({ reason: decision.reason, source: decision.fallback.source, savedAt: decision.fallback.savedAt }, 'falling back');
  }

  decision.value =
    mode === 'frontier'
      ? mergeFrontierServer(config.frontierServer, [...decision.proxies, ...defaults.flat()])
      : buildCvmfsValue(chunk(decision.proxies, config.balance), defaults, config.direct);
  if (deps.dump || mode === 'frontier') return decision;

  decision.changed = await writeProxy(config.cvmfsConfig, decision.value, deps.beforeRename ? { beforeRename: deps.beforeRename } : {});
  decision.written = decision.changed ? config.cvmfsConfig : null;
  log.info({ path: config.cvmfsConfig, value: decision.value, changed: decision.changed }, decision.changed ? 'proxy list written' : 'proxy list unchanged');
  const memory = { path: config.cvmfsConfig, written: decision.value, siteDefault: fileDefault };
  const known = state.written;
  if (decision.outcome === 'ok' || known?.path !== memory.path || known.written !== memory.written || known.siteDefault !== memory.siteDefault) {
    const savedAt = new Date(clock.now()).toISOString();
    const list = decision.outcome === 'ok' ? { version: 1 as const, savedAt, server: decision.server, proxies: fresh } : (state.value ?? { version: 1 as const, savedAt, server: null, proxies: [] });
    try {
      await store.save({ ...list, cvmfsConfig: memory });
    } catch (error) {
      // The configuration is written, which is what the run is for; the next run tries the state file again.
      log.warn({ path: config.stateFile, error: (error as Error).message }, 'cannot save the state file (last good list); the CVMFS configuration was written');
    }
  }

  if (config.apply === 'reload' && !decision.changed) {
    log.debug('proxy list unchanged; CVMFS not reloaded');
  } else if (config.apply !== 'never') {
    const repositories = config.repositories.length > 0 ? config.repositories : await readMountedRepositories(deps.mountsPath);
    decision.applied = await applyToCvmfs({ mode: config.apply, value: decision.value, repositories, env: deps.env, timeoutMs: Math.max(1000, Math.min(10_000, left())) });
    if (decision.applied.tool === null) log.debug('CVMFS tools not on PATH; nothing to tell');
    else if (config.apply === 'talk' && repositories.length === 0) log.info('no CVMFS repository mounted; nothing to tell');
    for (const r of decision.applied.results) {
      if (r.ok) log.info({ command: r.command.join(' ') }, 'told CVMFS');
      else log.error({ command: r.command.join(' '), error: r.error }, 'CVMFS did not take the new proxy list');
    }
  }
  return decision;
}

/** The exit code a decision deserves. */
export function exitCodeOf(decision: Decision): number {
  if (decision.outcome === 'failed') return EXIT.failed;
  if (decision.applied?.results.some((r) => !r.ok)) return EXIT.failed;
  return decision.outcome === 'fallback' ? EXIT.fallback : EXIT.ok;
}
