#!/usr/bin/env node
import { commandFromTable, parseCommandLine } from '../shared/cli.js';
import { createLogger } from '../shared/logger.js';
import { EXIT, runClient } from './client.js';
import { CLIENT_CONFIG_ENV, CLIENT_ENV_PREFIX, clientConfigTable } from './config.js';

const program = commandFromTable({
  name: 'shoal-client',
  description:
    'Shoal client: asks the Shoal server for the nearest caches and writes them as CVMFS_HTTP_PROXY into the CVMFS configuration.',
  prefix: CLIENT_ENV_PREFIX,
  table: clientConfigTable,
  configEnv: CLIENT_CONFIG_ENV,
});
program.option('-d, --dump', 'print the CVMFS_HTTP_PROXY value and write nothing');
program.addHelpText(
  'after',
  `\nExit codes: ${EXIT.ok} success; ${EXIT.failed} no server answered (nothing written); ${EXIT.usage} bad option or config.\n` +
    'Example cron line: */30 * * * * root shoal-client --server http://shoal.example.org:8080',
);
const { config, flags } = parseCommandLine(program, {
  prefix: CLIENT_ENV_PREFIX,
  table: clientConfigTable,
  argv: process.argv,
  env: process.env,
  configEnv: CLIENT_CONFIG_ENV,
});

const logger = createLogger({ name: 'shoal-client', level: config.logLevel, fd: 2 });

try {
  const decision = await runClient({ config, logger, dump: Boolean(flags.dump) });
  if (decision.value === null) {
    process.stderr.write(`shoal-client: no Shoal server answered (${decision.attempts.map((a) => `${a.server}: ${a.error}`).join('; ')}); nothing written\n`);
    process.exit(EXIT.failed);
  }
  if (flags.dump) process.stdout.write(`${decision.value}\n`);
  process.exit(EXIT.ok);
} catch (error) {
  process.stderr.write(`shoal-client: ${(error as Error).message}\n`);
  process.exit(EXIT.failed);
}
