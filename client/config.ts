import { z } from 'zod';
import { intFromText, listFromText, loadConfig, type ConfigInput, type ConfigTable } from '../shared/config.js';
import { LOG_LEVELS } from '../shared/logger.js';

export const CLIENT_ENV_PREFIX = 'SHOAL_CLIENT_';
export const CLIENT_CONFIG_ENV = 'SHOAL_CLIENT_CONFIG';

const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL');

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
  direct: { schema: z.enum(['last', 'never']).default('last'), help: 'put DIRECT last in the list, or never', arg: 'last|never' },
  cvmfsConfig: { schema: z.string().min(1).default('/etc/cvmfs/default.local'), help: 'CVMFS config file to write CVMFS_HTTP_PROXY into', arg: 'path' },
  logLevel: { schema: z.enum(LOG_LEVELS).default('warn'), help: `log level on stderr (${LOG_LEVELS.join('|')})`, arg: 'level' },
} satisfies ConfigTable;

export type ClientConfig = ReturnType<typeof loadClientConfig>;

export function loadClientConfig(input: ConfigInput) {
  return loadConfig(CLIENT_ENV_PREFIX, clientConfigTable, input);
}
