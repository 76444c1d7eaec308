import { z } from 'zod';
import { AmqpUrlsSchema } from '../shared/amqp-urls.js';
import { booleanFromText, intFromText, listFromText, loadConfig, numberFromText, type ConfigChecks, type ConfigInput, type ConfigTable } from '../shared/config.js';
import { DEFAULT_TEST_URL, HttpUrlSchema } from '../shared/cvmfs-probe.js';
import { AccessLevelSchema, CacheTypeSchema, SiteNameSchema, UpstreamSchema } from '../shared/heartbeat.js';
import { CidrSchema, IpLiteralSchema, parseIpLiteral, PortSchema, ProxyHostSchema } from '../shared/identity.js';
import { LOG_LEVELS } from '../shared/logger.js';
import { combineRabbitmq, loggingLevelKey, rabbitmqKeys, type OriginalConfig } from '../shared/original-config.js';
import { KeyIdSchema } from '../shared/signing.js';

export const AGENT_ENV_PREFIX = 'SHOAL_AGENT_';
export const AGENT_CONFIG_ENV = 'SHOAL_AGENT_CONFIG';

const optionalIp = z.union([z.literal(''), IpLiteralSchema]).default('');

/** `none` (or an empty flag) turns the self-check off. */
const testUrlList = z.preprocess((v) => (typeof v === 'string' && v.trim().toLowerCase() === 'none' ? '' : v), listFromText(HttpUrlSchema));

const optionalPath = z.string().trim().default('');

const defaultStateFile = () =>
  process.getuid?.() === 0 ? '/var/lib/shoal-agent/uuid' : `${process.env.HOME ?? '.'}/.local/state/shoal-agent/uuid`;

/** Every agent setting: flag `--kebab-name`, env `SHOAL_AGENT_SCREAMING_NAME`, key `camelName` in a JSON config file. */
export const agentConfigTable = {
  amqpUrl: {
    schema: AmqpUrlsSchema.default('amqp://guest:guest@127.0.0.1:5672'),
    help: 'RabbitMQ URL to publish heartbeats to; several, comma-separated, are tried in turn (the nodes of a cluster)',
    arg: 'url',
  },
  exchange: { schema: z.string().min(1).max(255).default('shoal'), help: 'topic exchange the server consumes', arg: 'name' },
  interval: { schema: intFromText(1, 3600).default(30), help: 'seconds between heartbeats', arg: 'seconds' },
  jitter: { schema: numberFromText(0, 0.5).default(0.1), help: 'random spread of the interval, as a fraction (0..0.5)', arg: 'fraction' },
  // Empty: chosen at start (agent/hostname.ts), which needs DNS and so cannot happen while the config is read.
  hostname: {
    schema: z.union([z.literal(''), ProxyHostSchema]).default(''),
    help: "name clients use to reach the cache; empty: the reverse-DNS name of the public (or NAT) address when it resolves back to it, else this host's name",
    arg: 'name',
  },
  cachePort: { schema: PortSchema.prefault(3128), help: 'port the cache listens on', arg: 'port' },
  cacheType: { schema: CacheTypeSchema.default('squid'), help: 'squid or varnish', arg: 'type' },
  upstream: { schema: UpstreamSchema.default('both'), help: 'what the cache serves: cvmfs, frontier or both', arg: 'kind' },
  interface: { schema: z.string().default(''), help: 'network interface whose tx_bytes is the load; empty: the default-route one', arg: 'name' },
  maxLoad: { schema: numberFromText(0, 1e9).default(0), help: 'max load in kB/s; 0: from the NIC speed (else the server default)', arg: 'kBps' },
  publicIp: { schema: optionalIp, help: 'public address to advertise; empty: found from the interfaces', arg: 'ip' },
  privateIp: { schema: optionalIp, help: 'private address to advertise; empty: found from the interfaces', arg: 'ip' },
  externalIp: { schema: optionalIp, help: 'NAT/external address, sent when the host has no public one', arg: 'ip' },
  latitude: { schema: numberFromText(-90, 90).optional(), help: 'declared latitude (instead of GeoIP)', arg: 'deg' },
  longitude: { schema: numberFromText(-180, 180).optional(), help: 'declared longitude (instead of GeoIP)', arg: 'deg' },
  site: { schema: SiteNameSchema.optional(), help: 'site name', arg: 'name' },
  networks: { schema: listFromText(CidrSchema).default([]), help: 'comma-separated CIDRs the site serves', kind: 'list', arg: 'cidrs' },
  access: { schema: AccessLevelSchema.default('global'), help: 'global, site or private', arg: 'level' },
  verified: { schema: booleanFromText.default(false), help: 'report the cache as verified (original field)', kind: 'boolean' },
  cacheHost: {
    schema: z.string().trim().min(1).default('127.0.0.1'),
    help: 'address the agent reaches its own cache at (self-check, cache manager)',
    arg: 'host',
  },
  testUrls: {
    schema: testUrlList.default([DEFAULT_TEST_URL]),
    help: 'comma-separated http:// URLs fetched through the cache as a self-check (passes if one answers well; none: off)',
    kind: 'list',
    arg: 'urls',
  },
  checkTimeout: { schema: intFromText(100, 60_000).default(2000), help: 'ms allowed for each self-check fetch', arg: 'ms' },
  checkInterval: {
    schema: intFromText(0, 86_400).default(120),
    help: 'seconds a passed self-check is trusted (the slower cycle while healthy); after a failure every heartbeat checks again; 0: check before every heartbeat',
    arg: 'seconds',
  },
  cacheManagerUrl: {
    schema: z
      .string()
      .trim()
      .refine((v) => v === '' || v === 'off' || (URL.canParse(v) && new URL(v).protocol === 'http:'), 'must be empty, off, or an http:// URL')
      .default(''),
    help: 'Squid cache manager base URL for request rate and client count; empty: http://<cache-host>:<cache-port>/squid-internal-mgr/; off: do not ask',
    arg: 'url',
  },
  cacheManagerPassword: { schema: z.string().default(''), help: 'cachemgr_passwd for the info page, if Squid sets one', arg: 'password', secret: true },
  // TLS to the broker: the same key names as the server's (shared/amqp-tls.ts).
  amqpCaFile: { schema: optionalPath, help: 'PEM file of the CA that signed the broker certificate (amqps://)', arg: 'path' },
  amqpCertFile: { schema: optionalPath, help: 'PEM client certificate for amqps:// (with --amqp-key-file)', arg: 'path' },
  amqpKeyFile: { schema: optionalPath, help: 'PEM private key of the client certificate', arg: 'path' },
  uuid: { schema: z.string().regex(/^[\w.:-]{1,128}$/).optional(), help: 'fixed agent id; default: generated once and kept in --state-file', arg: 'id' },
  stateFile: { schema: z.string().min(1).default(defaultStateFile()), help: 'file keeping the generated uuid across restarts', arg: 'path' },
  // Signed heartbeats (README "Security").
  keyId: {
    schema: z.union([z.literal(''), KeyIdSchema]).default(''),
    help: 'key id to sign heartbeats with (an entry of the server keyring); empty: unsigned',
    arg: 'id',
  },
  keyFile: { schema: z.string().default(''), help: 'file holding the secret of --key-id (its first line)', arg: 'path' },
  logLevel: { schema: z.enum(LOG_LEVELS).default('info'), help: `log level (${LOG_LEVELS.join('|')})`, arg: 'level' },
  // LAN announcements in the original UDP format (agent/announce.ts); off by default so nothing broadcasts unasked.
  announce: { schema: booleanFromText.default(false), help: 'announce the cache on the LAN over UDP (original format) and answer client queries', kind: 'boolean' },
  announcePort: { schema: intFromText(1, 65535).default(50000), help: 'UDP port of LAN announcements and client queries', arg: 'port' },
  announceAddress: { schema: z.string().refine((v) => parseIpLiteral(v) !== null && !v.includes(':'), 'must be an IPv4 address').default('255.255.255.255'), help: 'where announcements go (broadcast address)', arg: 'ip' },
  announceInterval: { schema: intFromText(0, 86_400).default(60), help: 'seconds between announcements; 0: only answer queries', arg: 'seconds' },
  announceIp: { schema: optionalIp, help: 'address to announce; empty: the private address, else the public one', arg: 'ip' },
  announceForm: { schema: z.enum(['short', 'long']).default('short'), help: 'short (ip:port, every original client) or long (ip:port:type:upstream)', arg: 'form' },
} satisfies ConfigTable;

export type AgentConfig = ReturnType<typeof loadAgentConfig>;

/** Rules across agent settings, reported at start like any bad value. */
export const agentConfigChecks: ConfigChecks<typeof agentConfigTable> = (c) =>
  c.keyId && !c.keyFile ? ['--key-id needs --key-file (SHOAL_AGENT_KEY_FILE): the secret to sign with'] : [];

/** The original agent's `/etc/shoal/shoal_agent.conf`: every key it ships or reads, and what it became (docs/migration.md). */
export const agentOriginalConfig: OriginalConfig = {
  path: '/etc/shoal/shoal_agent.conf',
  keys: [
    { section: 'general', key: 'interval', setting: 'interval' },
    { section: 'general', key: 'external_ip', setting: 'externalIp' },
    { section: 'general', key: 'cache_port', setting: 'cachePort' },
    // Older agents' name of cache_port.
    { section: 'general', key: 'squid_port', setting: 'cachePort' },
    { section: 'general', key: 'max_load', setting: 'maxLoad' },
    { section: 'general', key: 'interface', setting: 'interface' },
    { section: 'general', key: 'admin_email', ignored: 'this agent sends no mail: when the cache stops serving, its self-check fails, it stops advertising the cache and logs why' },
    { section: 'general', key: 'cloud', ignored: 'the original reads it and never uses it (a site name is --site)' },
    ...rabbitmqKeys,
    { section: 'logging', key: 'log_file', ignored: 'logs go to stderr as JSON lines (the journal, under systemd)' },
    loggingLevelKey,
  ],
  combine: combineRabbitmq,
};

export function loadAgentConfig(input: ConfigInput) {
  return loadConfig(AGENT_ENV_PREFIX, agentConfigTable, input, agentConfigChecks, agentOriginalConfig);
}
