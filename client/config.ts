import { isIP } from 'node:net';
import { z } from 'zod';
import { booleanFromText, intFromText, listFromText, loadConfig, numberFromText, type ConfigInput, type ConfigTable } from '../shared/config.js';
import { LOG_LEVELS } from '../shared/logger.js';
import type { CombineResult, OriginalConfig, OriginalReader } from '../shared/original-config.js';
import { serverTarget } from './fetch-nearest.js';
import { frontierProblem, NOT_A_MEMBER, parseProxyList, printable } from './proxy-member.js';

export const CLIENT_ENV_PREFIX = 'SHOAL_CLIENT_';
export const CLIENT_CONFIG_ENV = 'SHOAL_CLIENT_CONFIG';

const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL');

/**
 * A CVMFS proxy string (`a|b;c;DIRECT`): members checked as the server's are (proxy-member.ts). The
 * operator wrote it, so a bad member stops the program here, naming it, rather than being dropped.
 */
const proxyList = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    const bad = parseProxyList(v).rejected[0];
    if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `must be a CVMFS proxy list such as http://a:3128|http://b:3128;DIRECT: ${printable(bad)} is ${NOT_A_MEMBER}` });
  })
  .default('');

/** A FRONTIER_SERVER string (`(serverurl=...)(proxyurl=...)`) in the grammar the client's output is checked against. */
const frontierServer = z
  .string()
  .superRefine((v, ctx) => {
    const problem = frontierProblem(v);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: `must be a FRONTIER_SERVER string such as (serverurl=http://frontier.example:8000/db): it ${problem}` });
  })
  .default('');

const defaultStateFile = () =>
  process.getuid?.() === 0 ? '/var/lib/shoal-client/last-good.json' : `${process.env.HOME ?? '.'}/.local/state/shoal-client/last-good.json`;

/** Every client setting: flag `--kebab-name`, env `SHOAL_CLIENT_SCREAMING_NAME`, key `camelName` in a JSON config file. */
export const clientConfigTable = {
  server: {
    schema: listFromText(httpUrl).pipe(z.array(httpUrl).min(1, 'give at least one server URL')).default(['http://127.0.0.1:8080']),
    help: 'Shoal server base URL(s), comma-separated, tried in order',
    kind: 'list',
    arg: 'urls',
  },
  count: { schema: intFromText(1, 20).default(3), help: 'how many proxies to put in the list', arg: 'n' },
  timeout: { schema: intFromText(100, 120_000).default(5000), help: 'ms to wait for each server', arg: 'ms' },
  budget: { schema: intFromText(500, 600_000).default(60_000), help: 'ms the whole run may take (servers, discovery, verification), start delay excluded', arg: 'ms' },
  direct: { schema: z.enum(['last', 'never']).default('last'), help: 'put DIRECT last in the list, or never', arg: 'last|never' },
  balance: { schema: intFromText(1, 20).default(1), help: 'proxies per load-balanced group (2 gives a|b;c|d); 1: plain fail-over order', arg: 'n' },
  defaultProxy: { schema: proxyList, help: "site default proxies appended after the found ones (CVMFS syntax, never duplicated); default: the --cvmfs-config file's own CVMFS_HTTP_PROXY", arg: 'list' },
  verify: { schema: booleanFromText.default(true), help: 'fetch --test-url through each proxy and drop those that fail', kind: 'boolean' },
  testUrl: {
    schema: z.string().regex(/^http:\/\/[^\s]+$/, 'must be an http:// URL').default('http://cvmfs-stratum-one.cern.ch/cvmfs/atlas.cern.ch/.cvmfswhitelist'),
    help: 'URL fetched through each proxy to verify it (a /cvmfs/<repo>/ URL must name the repo in an N line); --frontier asks its serverurl instead',
    arg: 'url',
  },
  verifyTimeout: { schema: intFromText(100, 60_000).default(2000), help: 'ms each proxy has to answer the test fetch', arg: 'ms' },
  reorder: { schema: booleanFromText.default(true), help: "re-order verified proxies by measured response time within the server's rank groups", kind: 'boolean' },
  rankTolerance: { schema: numberFromText(0, 1).default(0.02), help: 'ranking scores this close to the best of a group count as one rank group', arg: 'score' },
  startDelay: { schema: intFromText(0, 3600).default(180), help: 'wait a random 0..N seconds before starting, so a fleet does not call at once (not with --dump or --frontier)', arg: 'seconds' },
  stateFile: { schema: z.string().min(1).default(defaultStateFile()), help: 'where the last good proxy list is kept for fallback', arg: 'path' },
  cvmfsConfig: { schema: z.string().min(1).default('/etc/cvmfs/default.local'), help: 'CVMFS config file to write CVMFS_HTTP_PROXY into', arg: 'path' },
  apply: { schema: z.enum(['talk', 'reload', 'never']).default('talk'), help: 'tell a running CVMFS: cvmfs_talk proxy set per repository, cvmfs_config reload (only when the value changed), or never', arg: 'talk|reload|never' },
  repositories: { schema: listFromText(z.string().regex(/^[\w.-]+$/, 'must be a repository name')).default([]), help: 'repositories to tell; empty: every mounted one', kind: 'list', arg: 'names' },
  frontierServer: { schema: frontierServer, help: 'FRONTIER_SERVER value the proxies are merged into with --frontier (default: env FRONTIER_SERVER)', arg: 'value' },
  discoveryTime: { schema: intFromText(0, 600_000).default(2000), help: 'ms to listen for LAN cache announcements; 0: no LAN discovery', arg: 'ms' },
  discoveryPort: { schema: intFromText(1, 65535).default(50000), help: 'UDP port of LAN announcements (original: 50000)', arg: 'port' },
  discoveryAddress: {
    schema: z.string().refine((v) => isIP(v) === 4, 'must be an IPv4 address').default('255.255.255.255'),
    help: 'where the active LAN query goes (broadcast address)',
    arg: 'ip',
  },
  logLevel: { schema: z.enum(LOG_LEVELS).default('warn'), help: `log level on stderr (${LOG_LEVELS.join('|')})`, arg: 'level' },
} satisfies ConfigTable;

export type ClientConfig = ReturnType<typeof loadClientConfig>;

/**
 * The original's server URLs (`cvmfs_url`, `conditions_url`, or the older `shoal_server_url`) as `server`:
 * written as they are (route and all: the client says what it does with such a URL when it asks), the
 * conditions URL added only when it names another server. Site defaults: `default_cache_proxy` (or the
 * older `default_squid_proxy`).
 */
function combineClient(file: OriginalReader): CombineResult {
  const g = 'general';
  const out: Required<CombineResult> = { values: {}, problems: [], ignored: [] };
  const cvmfs = file.get(g, 'cvmfs_url');
  const older = file.get(g, 'shoal_server_url');
  if (cvmfs !== undefined && older !== undefined) out.ignored.push({ section: g, key: 'shoal_server_url', why: 'cvmfs_url is given, and replaced it' });
  const named = [cvmfs === undefined ? (older === undefined ? null : 'shoal_server_url') : 'cvmfs_url', file.get(g, 'conditions_url') === undefined ? null : 'conditions_url'].filter((k) => k !== null);
  const urls: string[] = [];
  for (const key of named) {
    const url = file.get(g, key) as string;
    if (!urls.some((u) => serverTarget(u).base === serverTarget(url).base)) urls.push(url);
  }
  if (urls.length > 0) out.values.server = { value: urls, from: file.where(g, ...named) };
  const proxies = file.get(g, 'default_cache_proxy') === undefined ? 'default_squid_proxy' : 'default_cache_proxy';
  if (proxies === 'default_cache_proxy' && file.get(g, 'default_squid_proxy') !== undefined) out.ignored.push({ section: g, key: 'default_squid_proxy', why: 'default_cache_proxy is given, and replaced it' });
  const defaults = file.get(g, proxies);
  if (defaults !== undefined) out.values.defaultProxy = { value: defaults, from: file.where(g, proxies) };
  return out;
}

/** The original client's `/etc/shoal/shoal_client.conf`: every key it ships or reads, and what it became (docs/migration.md). */
export const clientOriginalConfig: OriginalConfig = {
  path: '/etc/shoal/shoal_client.conf',
  keys: ['cvmfs_url', 'conditions_url', 'shoal_server_url', 'default_cache_proxy', 'default_squid_proxy'].map((key) => ({ section: 'general', key, combined: true as const })),
  combine: combineClient,
};

export function loadClientConfig(input: ConfigInput) {
  return loadConfig(CLIENT_ENV_PREFIX, clientConfigTable, input, undefined, clientOriginalConfig);
}
