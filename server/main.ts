#!/usr/bin/env node
import { defineCli } from '../shared/cli.js';
import { systemClock } from '../shared/clock.js';
import { redactedConfig } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { handleShutdown } from '../shared/shutdown.js';
import { SERVER_CONFIG_ENV, SERVER_ENV_PREFIX, serverConfigChecks, serverConfigTable, serverOriginalConfig } from './config.js';
import { startServer } from './start.js';

const cli = defineCli({
  name: 'shoal-server',
  description:
    'Shoal server: consumes cache heartbeats from RabbitMQ, keeps a TTL registry and answers VMs with the nearest, least loaded caches over HTTP.',
  prefix: SERVER_ENV_PREFIX,
  table: serverConfigTable,
  configEnv: SERVER_CONFIG_ENV,
  checks: serverConfigChecks,
  original: serverOriginalConfig,
});
const { program } = cli;
program.addHelpText(
  'after',
  '\nRoutes: /api/v1/nearest, /api/v1/caches, /api/v1/export/wlcg-wpad, /api/v1/admin/... (with --admin-token),\n' +
    '/openapi.json, /nearest/<n>, /nearestverified/<n>, /nearestcvmfs/<n>, /nearestconditions/<n>, /all,\n' +
    '/wpad.dat, /proxy.pac, /cvmfs/<repo>/api/v1.0/geo/<client>/<servers>, /healthz, /readyz, /metrics.\n' +
    'See README.md for every option.',
);
const { config } = cli.parse(process.argv, process.env);

const logger = createLogger({ name: 'shoal-server', level: config.logLevel, buffered: true });
logger.info({ config: redactedConfig(serverConfigTable, config) }, 'starting');

let running;
try {
  running = await startServer(config, { logger, clock: systemClock });
} catch (error) {
  logger.fatal({ err: (error as Error).message }, 'cannot start');
  process.exit(1);
}
const server = running;

process.on('SIGHUP', () => {
  try {
    server.reloadKeyring();
  } catch (error) {
    logger.error({ err: (error as Error).message }, 'keyring not reloaded; the keys in use stay');
  }
});
handleShutdown({ logger, stop: () => server.stop() });
