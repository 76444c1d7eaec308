import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentConfigTable, agentOriginalConfig, loadAgentConfig } from '../../agent/config.js';
import { clientConfigTable, clientOriginalConfig, loadClientConfig } from '../../client/config.js';
import { loadServerConfig, serverConfigTable, serverOriginalConfig } from '../../server/config.js';
import { ConfigError, loadConfig, type ConfigInput } from '../../shared/config.js';
import type { ConfigNotice } from '../../shared/original-config.js';
import { makeTempDir } from '../support/temp.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/original-conf/${name}`, import.meta.url));

/** Loads with the notices collected. */
function withNotices<T>(load: (input: ConfigInput) => T, input: Partial<ConfigInput>): { config: T; notices: ConfigNotice[] } {
  const notices: ConfigNotice[] = [];
  const config = load({ env: {}, flags: {}, ...input, onNotice: (n) => notices.push(n) });
  return { config, notices };
}

async function confFile(text: string, name = 'shoal_server.conf'): Promise<string> {
  const path = join(await makeTempDir('shoal-original-conf-'), name);
  await writeFile(path, text);
  return path;
}

const warned = (notices: ConfigNotice[]) => notices.filter((n) => n.level === 'warn').map((n) => /\[(\w+)\] (\w+) is ignored/.exec(n.message)?.slice(1).join(' '));

describe('the original Shoal config files, as shipped', () => {
  it('shoal_server.conf: cache, rabbitmq and logging keys become our settings', () => {
    const { config } = withNotices(loadServerConfig, { configFile: fixture('shoal_server.conf') });
    expect(config).toMatchObject({
      cleanupInterval: 15,
      cacheTtl: 180,
      verify: true,
      verifyInterval: 3600,
      defaultMaxLoad: 122000,
      loadExponent: 1,
      distanceWeight: 0.5,
      amqpUrl: 'amqp://localhost:5672',
      exchange: 'shoal',
      logLevel: 'error',
      // use_ssl = False: the certificate keys it ships are not used, as in the original.
      amqpCaFile: '',
      geoipDatabase: '',
    });
  });

  it('shoal_server.conf: warns once, by name, for each key it ignores', () => {
    const { notices } = withNotices(loadServerConfig, { configFile: fixture('shoal_server.conf') });
    expect(warned(notices)).toEqual([
      'general shoal_dir',
      'general geolitecity_url',
      'general geolitecity_update_time',
      'general geodomain_path',
      'cache cache_verified_default',
      'webpy webpy_cache',
      'logging log_file',
      'error error_reconnect_time',
      'error error_reconnect_attempts',
    ]);
    expect(notices[0]?.message).toContain(`${fixture('shoal_server.conf')} [general] shoal_dir is ignored: `);
  });

  it('shoal_agent.conf: interval, broker and log level', () => {
    const { config, notices } = withNotices(loadAgentConfig, { configFile: fixture('shoal_agent.conf') });
    expect(config).toMatchObject({ interval: 30, amqpUrl: 'amqp://shoal.heprc.uvic.ca:5672', exchange: 'shoal', logLevel: 'error', cachePort: 3128 });
    expect(warned(notices)).toEqual(['logging log_file']);
  });

  it('an agent file with TLS, credentials and the older keys: amqps URL with escaped credentials, TLS files, port', () => {
    const { config, notices } = withNotices(loadAgentConfig, { configFile: fixture('shoal_agent-tls.conf') });
    expect(config).toMatchObject({
      // amqp_password = p@ss:w%%rd is p@ss:w%rd to configparser.
      // amqp_virtual_host: the original never passed it to pika (vhost / always), so neither does this.
      amqpUrl: 'amqps://agent:p%40ss%3Aw%25rd@broker.example.org:5671',
      amqpCaFile: '/etc/shoal/tls/ca.pem',
      amqpCertFile: '/etc/shoal/tls/cert.pem',
      amqpKeyFile: '/etc/shoal/tls/key.pem',
      interval: 60,
      cachePort: 3129,
      interface: 'eth1',
      maxLoad: 50000,
      externalIp: '206.12.1.1',
      logLevel: 'debug',
    });
    expect(warned(notices)).toEqual(['general cloud', 'general admin_email', 'rabbitmq amqp_virtual_host']);
    expect(notices.at(-1)?.message).toContain('for vhost shoal-vhost give --amqp-url amqp://host:port/shoal-vhost');
  });

  it('shoal_client.conf: cvmfs_url and conditions_url (one server) become --server, as written', () => {
    const { config, notices } = withNotices(loadClientConfig, { configFile: fixture('shoal_client.conf') });
    expect(config.server).toEqual(['http://shoal.heprc.uvic.ca/nearestcvmfs']);
    expect(config.defaultProxy).toBe('');
    expect(notices).toEqual([]);
  });

  it('an older client file: shoal_server_url and default_squid_proxy', () => {
    const { config } = withNotices(loadClientConfig, { configFile: fixture('shoal_client-older.conf') });
    expect(config.server).toEqual(['http://shoal.example.org:8080/nearestverified']);
    expect(config.defaultProxy).toBe('http://squid.example.org:3128;DIRECT');
  });

  it('a conditions_url on another server is tried after the cvmfs_url one; an older key beside a newer one is ignored, by name', async () => {
    const path = await confFile('[general]\ncvmfs_url = http://a.example/nearestcvmfs\nconditions_url = http://b.example/nearestconditions\nshoal_server_url = http://c.example/nearest\n', 'c.conf');
    const { config, notices } = withNotices(loadClientConfig, { configFile: path });
    expect(config.server).toEqual(['http://a.example/nearestcvmfs', 'http://b.example/nearestconditions']);
    expect(warned(notices)).toEqual(['general shoal_server_url']);
  });

  it.each([
    ['server', serverOriginalConfig, serverConfigTable],
    ['agent', agentOriginalConfig, agentConfigTable],
    ['client', clientOriginalConfig, clientConfigTable],
  ] as const)('every %s key that feeds a setting names a real one', (_program, original, table) => {
    for (const k of original.keys) if (k.setting !== undefined) expect(Object.keys(table), `${k.key} -> ${k.setting}`).toContain(k.setting);
  });
});

describe('the original config files: bad values, unknown keys, precedence, where they are found', () => {
  it.each([
    ['a word for a number', '[cache]\ncache_inactive_time = soon', '[cache] cache_inactive_time: must be a whole number from 1 to 86400 (got "soon")'],
    ['a weight out of range', '[cache]\ncache_distloadweight = 2', '[cache] cache_distloadweight: must be a number from 0 to 1 (got "2")'],
    ['a boolean that is none', '[cache]\ncache_verification = maybe', '[cache] cache_verification:'],
    ['a port that is no port', '[rabbitmq]\namqp_port = 0x1628', '[rabbitmq] amqp_port: must be a whole number from 1 to 65535 (got "0x1628")'],
    ['a URL where pika took a host', '[rabbitmq]\namqp_server_url = amqp://broker', '[rabbitmq] amqp_server_url: must be the broker\'s host name or address'],
    ['use_ssl that is no boolean', '[rabbitmq]\nuse_ssl = sometimes', '[rabbitmq] use_ssl: must be True or False (got "sometimes")'],
    ['credentials with no password', '[rabbitmq]\nuse_credentials = True\namqp_username = u', '[rabbitmq] use_credentials: is True, so amqp_username and amqp_password are needed'],
    ['an exchange type agents do not use', '[rabbitmq]\namqp_exchange_type = fanout', '[rabbitmq] amqp_exchange_type: must be topic'],
    ['a log level Python has not', '[logging]\nlogging_level = LOUD', '[logging] logging_level:'],
  ])('refuses %s, naming the file, section and key', async (_what, text, message) => {
    const path = await confFile(text);
    expect(() => loadServerConfig({ env: {}, flags: {}, configFile: path })).toThrow(ConfigError);
    expect(() => loadServerConfig({ env: {}, flags: {}, configFile: path })).toThrow(`${path} ${message}`);
  });

  it('refuses a file that is not INI, naming the line', async () => {
    const path = await confFile('[cache]\ncache_inactive_time 180\n');
    expect(() => loadServerConfig({ env: {}, flags: {}, configFile: path })).toThrow(/is not an INI file as the original Shoal reads them: line 2/);
  });

  it('warns once for a key the original does not read (a typo, or the right key in the wrong section)', async () => {
    const path = await confFile('[cache]\ncache_inactiv_time = 60\n[general]\ncache_max_load = 1000\n');
    const { config, notices } = withNotices(loadServerConfig, { configFile: path });
    expect(notices.map((n) => n.message)).toEqual([
      `${path} [cache] cache_inactiv_time is ignored: the original reads no such key in [cache]`,
      `${path} [general] cache_max_load is ignored: the original reads no such key in [general]`,
    ]);
    expect(config).toMatchObject({ cacheTtl: 180, defaultMaxLoad: 122000 });
  });

  it('takes defaults, then the file, then env, then flags', async () => {
    const path = await confFile('[cache]\ncache_inactive_time = 300\ncache_distloadweight = 0.25\ncache_loadconstant = 2\n');
    const load = (env: NodeJS.ProcessEnv, flags: Record<string, unknown>) => loadServerConfig({ env, flags, configFile: path });
    expect(loadServerConfig({ env: {}, flags: {} })).toMatchObject({ cacheTtl: 180, distanceWeight: 0.5, loadExponent: 1 });
    expect(load({}, {})).toMatchObject({ cacheTtl: 300, distanceWeight: 0.25, loadExponent: 2 });
    expect(load({ SHOAL_CACHE_TTL: '400', SHOAL_DISTANCE_WEIGHT: '0.75' }, {})).toMatchObject({ cacheTtl: 400, distanceWeight: 0.75, loadExponent: 2 });
    expect(load({ SHOAL_CACHE_TTL: '400' }, { cacheTtl: '500' })).toMatchObject({ cacheTtl: 500, distanceWeight: 0.25 });
  });

  it('a bad broker key does not count when the env gives the URL anyway', async () => {
    const path = await confFile('[rabbitmq]\namqp_port = many\n');
    expect(() => loadServerConfig({ env: {}, flags: {}, configFile: path })).toThrow('amqp_port');
    expect(loadServerConfig({ env: { SHOAL_AMQP_URL: 'amqp://b.example:5672' }, flags: {}, configFile: path }).amqpUrl).toBe('amqp://b.example:5672');
  });

  it('reads the default path when no config file is given and it exists, and says so', () => {
    const { config, notices } = withNotices(loadAgentConfig, { defaultConfigFile: fixture('shoal_agent.conf') });
    expect(config.amqpUrl).toBe('amqp://shoal.heprc.uvic.ca:5672');
    expect(notices[0]).toEqual({ level: 'info', message: `reading ${fixture('shoal_agent.conf')}, the original Shoal's config file (no --config given)` });
  });

  it('reads nothing when the default path does not exist, or when a config file is given', async () => {
    expect(withNotices(loadAgentConfig, { defaultConfigFile: '/nonexistent/shoal_agent.conf' })).toMatchObject({ config: { interval: 30 }, notices: [] });
    const json = await confFile(JSON.stringify({ interval: 45 }), 'agent.json');
    expect(withNotices(loadAgentConfig, { configFile: json, defaultConfigFile: fixture('shoal_agent-tls.conf') }).config.interval).toBe(45);
  });

  it.each([
    ['a .json name', 'agent.json', '{"interval": 45}', 45],
    ['JSON text with another name', 'agent.config', '  {"interval": 45}', 45],
    ['INI text with another name', 'agent.config', '[general]\ninterval = 50', 50],
    ['a .conf name', 'agent.conf', '[general]\ninterval = 55', 55],
  ])('tells JSON from INI: %s', async (_what, name, text, interval) => {
    expect(loadAgentConfig({ env: {}, flags: {}, configFile: await confFile(text, name) }).interval).toBe(interval);
  });

  it('a program with no INI form refuses an INI file', async () => {
    const path = await confFile('[general]\nport = 1', 'demo.conf');
    expect(() => loadConfig('T_', { port: { schema: z.string().default(''), help: 'port' } }, { env: {}, flags: {}, configFile: path })).toThrow(/is not JSON .* this program reads no other format/);
  });
});
