#!/usr/bin/env node
import { defineCli } from '../shared/cli.js';
import { systemClock } from '../shared/clock.js';
import { ConfigError, redactedConfig } from '../shared/config.js';
import { toWire } from '../shared/heartbeat.js';
import { createLogger } from '../shared/logger.js';
import { handleShutdown } from '../shared/shutdown.js';
import { hostname, networkInterfaces } from 'node:os';
import { discoverAddresses } from './addresses.js';
import { amqpSocketOptions } from '../shared/amqp-tls.js';
import { readSecretFile } from './secret-file.js';
import { createSigner, type Signer } from '../shared/signing.js';
import { createAgent } from './agent.js';
import { createAnnouncer } from './announce.js';
import { announcementFor } from './announce-source.js';
import { cacheManagerUrl, createCacheManagerFigures } from './cache-manager.js';
import { AGENT_CONFIG_ENV, AGENT_ENV_PREFIX, agentConfigChecks, agentConfigTable, agentOriginalConfig } from './config.js';
import { addressesForName, chooseHostname, HostnameError, systemResolver, type HostnameChoice } from './hostname.js';
import { loadOrCreateUuid } from './identity.js';
import { createTxBytesLoad, defaultRouteInterface, interfaceMaxLoad } from './load.js';
import { createPublisher } from './publisher.js';
import { createSelfCheck } from './self-check.js';

const cli = defineCli({
  name: 'shoal-agent',
  description: 'Shoal agent: runs beside a Squid/Varnish cache and publishes its load and location to the Shoal server over AMQP.',
  prefix: AGENT_ENV_PREFIX,
  table: agentConfigTable,
  configEnv: AGENT_CONFIG_ENV,
  checks: agentConfigChecks,
  original: agentOriginalConfig,
});
const { program } = cli;
program.option('--once', 'publish one heartbeat and exit');
program.option('--print', 'print the heartbeat that would be published, and exit without publishing');
program.option('--check', 'run the self-check, print its result and the heartbeat it leads to, publish nothing; exit 0 if it passes, 1 if not');
const { config, flags } = cli.parse(process.argv, process.env);

const logger = createLogger({ name: 'shoal-agent', level: config.logLevel, fd: 2, buffered: true });
const clock = systemClock;

const iface = config.interface || (await defaultRouteInterface()) || 'lo';
const uuid = config.uuid ?? (await loadOrCreateUuid(config.stateFile));

// The name clients will be given (agent/hostname.ts): said at start, with why, and what may trip a client up.
let advertised: HostnameChoice;
try {
  const addresses = addressesForName(config, networkInterfaces());
  advertised = await chooseHostname({ configured: config.hostname, systemName: hostname(), ...addresses, resolver: systemResolver });
} catch (error) {
  if (!(error instanceof HostnameError)) throw error;
  process.stderr.write(`shoal-agent: ${error.message}\n`);
  process.exit(2);
}
// `advertised`, not `hostname`: pino's own `hostname` field (this host's name) is on every line.
logger.info({ advertised: advertised.name, source: advertised.source }, `advertising hostname ${advertised.name}: ${advertised.why}`);
for (const warning of advertised.warnings) logger.warn({ advertised: advertised.name }, warning);
const nicMaxLoad = await interfaceMaxLoad(iface);
const load = createTxBytesLoad({ iface, clock });
await load.sample(); // prime the counter so the first heartbeat carries a real rate

const selfCheck = createSelfCheck({
  target: { host: config.cacheHost, port: config.cachePort },
  urls: config.testUrls,
  timeoutMs: config.checkTimeout,
  healthyIntervalMs: config.checkInterval * 1000,
  clock,
});
const managerUrl = cacheManagerUrl(config);
const figures = managerUrl
  ? createCacheManagerFigures({ baseUrl: managerUrl, password: config.cacheManagerPassword, timeoutMs: config.checkTimeout, clock })
  : undefined;
if (figures) await figures.sample(); // prime the request counter, as the load counter above
const observing = { config, logger, clock, uuid, hostname: advertised.name, load, nicMaxLoad, selfCheck, ...(figures ? { figures } : {}) };
// --print and --check never publish: the agent gets a publisher that refuses.
const offline = { publish: async () => false, waitReady: async () => undefined, close: async () => undefined };

if (flags.print) {
  const preview = createAgent({ ...observing, publisher: offline });
  process.stdout.write(`${JSON.stringify(toWire(await preview.preview()), null, 2)}\n`);
  process.exit(0);
}

if (flags.check) {
  const { check, heartbeat } = await createAgent({ ...observing, publisher: offline }).check();
  process.stdout.write(`${JSON.stringify({ check, heartbeat: toWire(heartbeat) }, null, 2)}\n`);
  process.exit(check === null || check.ok ? 0 : 1);
}

let socketOptions: Record<string, unknown> | undefined;
let signer: Signer | undefined;
try {
  socketOptions = amqpSocketOptions(config);
  if (config.keyId) signer = createSigner({ keyId: config.keyId, secret: readSecretFile(config.keyFile), clock });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`shoal-agent: ${error.message}\n`);
  process.exit(2);
}

logger.info({ config: redactedConfig(agentConfigTable, config), uuid, advertised: advertised.name, interface: iface, nicMaxLoad, cacheManager: managerUrl }, 'starting');
const publisher = createPublisher({ url: config.amqpUrl, exchange: config.exchange, logger, ...(socketOptions ? { socketOptions } : {}) });
const agent = createAgent({ ...observing, publisher, ...(signer ? { signer } : {}) });

if (flags.once) {
  await publisher.link.waitConnected(10_000).catch(() => undefined);
  const { published } = await agent.beat();
  await publisher.close();
  process.exit(published ? 0 : 1);
}

agent.start();

// LAN announcements (original UDP format) and answers to our clients' queries, when asked for.
const announcer = config.announce
  ? createAnnouncer({
      options: {
        port: config.announcePort,
        address: config.announceAddress,
        intervalMs: config.announceInterval * 1000,
        form: config.announceForm,
        bindAddress: '0.0.0.0',
      },
      current: () => announcementFor(config, discoverAddresses(networkInterfaces()), selfCheck.last()?.ok ?? null),
      logger,
    })
  : null;
await announcer?.start().catch((error: Error) => logger.error({ err: error.message }, 'cannot start LAN announcements'));

handleShutdown({
  logger,
  stop: async () => {
    await announcer?.stop();
    await agent.stop();
    await publisher.close();
  },
});
