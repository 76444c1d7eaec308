import { z } from 'zod';
import { intFromText, loadConfig, numberFromText, type ConfigInput, type ConfigTable } from '../shared/config.js';
import { LOG_LEVELS } from '../shared/logger.js';
import { serverConfigTable } from '../server/config.js';

export const DEMO_ENV_PREFIX = 'SHOAL_DEMO_';
export const DEMO_CONFIG_ENV = 'SHOAL_DEMO_CONFIG';

/**
 * The demo's settings. Everything else the server needs is its embedded default (in-memory registry,
 * bundled GeoIP database); the `SHOAL_*` server environment is deliberately not read, so a demo never
 * picks up a real deployment's Redis or broker settings by accident.
 */
export const demoConfigTable = {
  // Loopback by default: a demo has no business listening on every interface.
  host: { ...serverConfigTable.host, schema: z.string().min(1).default('127.0.0.1') },
  port: serverConfigTable.port,
  amqpUrl: { ...serverConfigTable.amqpUrl, help: 'RabbitMQ URL the simulated agents publish to and the server consumes from' },
  exchange: {
    // Not the production `shoal` exchange: a real server sharing the broker must never be told about caches that do not exist.
    schema: z.string().min(1).max(255).default('shoal-demo'),
    help: 'topic exchange of the demo (declared as the original, like `shoal`)',
    arg: 'name',
  },
  interval: { schema: intFromText(1, 3600).default(5), help: 'seconds between each simulated agent\'s heartbeats (the load drifts at each)', arg: 'seconds' },
  connectTimeout: {
    schema: numberFromText(0.1, 60).default(3),
    help: 'seconds to wait for the broker; when it does not answer, the agents feed the registry directly',
    arg: 'seconds',
  },
  logLevel: { schema: z.enum(LOG_LEVELS).default('warn'), help: `log level of the server and agents (${LOG_LEVELS.join('|')}), JSON lines on stderr`, arg: 'level' },
} satisfies ConfigTable;

export type DemoConfig = ReturnType<typeof loadDemoConfig>;

export function loadDemoConfig(input: ConfigInput) {
  return loadConfig(DEMO_ENV_PREFIX, demoConfigTable, input);
}
