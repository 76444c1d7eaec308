#!/usr/bin/env node
import { defineCli } from '../shared/cli.js';
import { systemClock } from '../shared/clock.js';
import { createLogger } from '../shared/logger.js';
import { EXIT, exitCodeOf, runClient } from './client.js';
import { CLIENT_CONFIG_ENV, CLIENT_ENV_PREFIX, clientConfigTable, clientOriginalConfig } from './config.js';

const cli = defineCli({
  name: 'shoal-client',
  description:
    'Shoal client: asks the Shoal server for the nearest caches, verifies them, and writes them as CVMFS_HTTP_PROXY into the CVMFS configuration.',
  prefix: CLIENT_ENV_PREFIX,
  table: clientConfigTable,
  configEnv: CLIENT_CONFIG_ENV,
  original: clientOriginalConfig,
});
const { program } = cli;
program.option('-d, --dump', 'print the CVMFS_HTTP_PROXY value and write nothing');
program.option('--json', 'print the whole decision as JSON (what the server said, what verified, what was written)');
program.option(
  '-f, --frontier',
  'print FRONTIER_SERVER with the proxies merged in as (proxyurl=...), tested with a Frontier request to its serverurl, and write nothing; ' +
    'no start delay; no server: the last good list, else FRONTIER_SERVER unchanged (exit 3)',
);
program.addHelpText(
  'after',
  `\nExit codes: ${EXIT.ok} success; ${EXIT.fallback} success with fallback (last good list or site defaults); ` +
    `${EXIT.failed} failure (nothing usable, or writing/applying failed); ${EXIT.usage} bad option or config.\n` +
    'Example cron line: */30 * * * * root shoal-client --server http://shoal.example.org:8080',
);
const { config: parsed, flags } = cli.parse(process.argv, process.env);
// The original client reads FRONTIER_SERVER from its environment; our own key wins when set.
const config = Object.freeze({ ...parsed, frontierServer: parsed.frontierServer || (process.env.FRONTIER_SERVER ?? '') });

const logger = createLogger({ name: 'shoal-client', level: config.logLevel, fd: 2 });

try {
  const decision = await runClient({ config, logger, clock: systemClock, env: process.env, dump: Boolean(flags.dump), frontier: Boolean(flags.frontier) });
  if (flags.json) process.stdout.write(`${JSON.stringify(decision, null, 2)}\n`);
  else if ((flags.dump || flags.frontier) && decision.value !== null) process.stdout.write(`${decision.value}\n`);
  if (decision.outcome === 'failed') {
    const tried = decision.attempts.map((a) => `${a.server}: ${a.error}`).join('; ');
    process.stderr.write(`shoal-client: ${decision.reason ?? 'failed'}${tried ? ` (${tried})` : ''}; no last good list or site default, nothing written\n`);
  } else if (decision.outcome === 'fallback') {
    process.stderr.write(`shoal-client: ${decision.reason ?? 'fallback'}; using the ${decision.fallback?.source ?? 'fallback'} list\n`);
  }
  for (const r of decision.applied?.results ?? []) if (!r.ok) process.stderr.write(`shoal-client: ${r.command.join(' ')} failed: ${r.error ?? ''}\n`);
  process.exit(exitCodeOf(decision));
} catch (error) {
  process.stderr.write(`shoal-client: ${(error as Error).message}\n`);
  process.exit(EXIT.failed);
}
