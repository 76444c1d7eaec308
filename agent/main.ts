#!/usr/bin/env node
import { commandFromTable, parseCommandLine } from '../shared/cli.js';
import { systemClock } from '../shared/clock.js';
import { redactedConfig } from '../shared/config.js';
import { toWire } from '../shared/heartbeat.js';
import { createLogger } from '../shared/logger.js';
import { networkInterfaces } from 'node:os';
import { discoverAddresses } from './addresses.js';
import { createAgent } from './agent.js';
import { createAnnouncer } from './announce.js';
import { AGENT_CONFIG_ENV, AGENT_ENV_PREFIX, agentConfigTable } from './config.js';
import { loadOrCreateUuid } from './identity.js';
import { createTxBytesLoad, defaultRouteInterface, interfaceMaxLoad } from './load.js';
import { createPublisher } from './publisher.js';

const SHUTDOWN_LIMIT_MS = 10_000;

const program = commandFromTable({
  name: 'shoal-agent',
  description: 'Shoal agent: runs beside a Squid/Varnish cache and publishes its load and location to the Shoal server over AMQP.',
  prefix: AGENT_ENV_PREFIX,
  table: agentConfigTable,
  configEnv: AGENT_CONFIG_ENV,
});
program.option('--once', 'publish one heartbeat and exit');
program.option('--print', 'print the heartbeat that would be published, and exit without publishing');
const { config, flags } = parseCommandLine(program, {
  prefix: AGENT_ENV_PREFIX,
  table: agentConfigTable,
  argv: process.argv,
  env: process.env,
  configEnv: AGENT_CONFIG_ENV,
});

const logger = createLogger({ name: 'shoal-agent', level: config.logLevel, fd: 2 });
const clock = systemClock;

const iface = config.interface || (await defaultRouteInterface()) || 'lo';
const uuid = config.uuid ?? (await loadOrCreateUuid(config.stateFile));
const nicMaxLoad = await interfaceMaxLoad(iface);
const load = createTxBytesLoad({ iface, clock });
await load.sample(); // prime the counter so the first heartbeat carries a real rate

if (flags.print) {
  const preview = createAgent({ config, logger, clock, uuid, load, nicMaxLoad, publisher: { publish: async () => false } as never });
  process.stdout.write(`${JSON.stringify(toWire(await preview.preview()), null, 2)}\n`);
  process.exit(0);
}

logger.info({ config: redactedConfig(agentConfigTable, config), uuid, interface: iface, nicMaxLoad }, 'starting');
const publisher = createPublisher({ url: config.amqpUrl, exchange: config.exchange, logger });
const agent = createAgent({ config, logger, clock, uuid, load, publisher, nicMaxLoad });

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
      current: () => {
        const found = discoverAddresses(networkInterfaces());
        const ip = [config.announceIp, config.privateIp, found.privateIp, config.publicIp, found.publicIp].find((v) => v && !v.includes(':'));
        return ip ? { ip, port: config.cachePort, type: config.cacheType, upstream: config.upstream } : null;
      },
      logger,
    })
  : null;
await announcer?.start().catch((error: Error) => logger.error({ err: error.message }, 'cannot start LAN announcements'));

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  setTimeout(() => process.exit(1), SHUTDOWN_LIMIT_MS).unref();
  await announcer?.stop();
  await agent.stop();
  await publisher.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
