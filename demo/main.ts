#!/usr/bin/env node
import { defineCli } from '../shared/cli.js';
import { systemClock } from '../shared/clock.js';
import { redactUrl } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { handleShutdown } from '../shared/shutdown.js';
import { DEMO_CONFIG_ENV, DEMO_ENV_PREFIX, demoConfigTable } from './config.js';
import { demoGuide } from './guide.js';
import { startDemo, type RunningDemo } from './run-demo.js';

const cli = defineCli({
  name: 'shoal-demo',
  description:
    'Shoal demo: the server on its embedded defaults plus simulated agents (the real agent code, simulated load) at 15 HEP computing sites. Ctrl-C stops it.',
  prefix: DEMO_ENV_PREFIX,
  table: demoConfigTable,
  configEnv: DEMO_CONFIG_ENV,
});
const { config } = cli.parse(process.argv, process.env);

// Logs go to stderr so the guide on stdout stays readable.
const logger = createLogger({ name: 'shoal-demo', level: config.logLevel, fd: 2, buffered: true });
console.log(`Starting the Shoal demo (waiting up to ${config.connectTimeout} s for RabbitMQ at ${String(redactUrl(config.amqpUrl))})...`);

const started: Promise<RunningDemo> = startDemo(config, { logger, clock: systemClock, random: Math.random }).catch((error: NodeJS.ErrnoException) => {
  const message = error.code === 'EADDRINUSE' ? `port ${config.port} is in use; choose another with --port (0: any free port)` : error.message;
  console.error(`shoal-demo: cannot start: ${message}`);
  process.exit(1);
});

const shutdown = handleShutdown({
  logger,
  stop: async (signal) => {
    // A signal during start-up waits for it, so no agent is left half started.
    const running = await started;
    console.log(`\n${signal}: stopping the simulated agents...`);
    const { agents, dropped } = await running.stop();
    const rest = dropped < agents ? ` (the other ${agents - dropped} would have expired after the cache TTL)` : '';
    console.log(`${agents} agents said goodbye; the server dropped ${dropped} of their ${agents} caches at once${rest}. Server stopped.`);
  },
});

const running = await started;
if (!shutdown.stopping) {
  console.log(
    demoGuide({
      url: running.server.url,
      transport: running.transport,
      amqpUrl: config.amqpUrl,
      exchange: config.exchange,
      connectTimeoutS: config.connectTimeout,
      intervalS: config.interval,
      sites: running.sites,
      joined: running.joined,
    }),
  );
}
