import { redactUrl } from '../shared/config.js';
import type { DemoTransport } from './run-demo.js';
import { SAMPLE_CALLERS, type DemoSite } from './sites.js';

export interface GuideFacts {
  url: string;
  transport: DemoTransport;
  amqpUrl: string;
  exchange: string;
  connectTimeoutS: number;
  intervalS: number;
  sites: readonly DemoSite[];
  joined: number;
}

/** What the demo prints once it runs: how heartbeats travel, and where to look. */
export function demoGuide(f: GuideFacts): string {
  const broker = String(redactUrl(f.amqpUrl));
  const names = f.sites.map((s) => s.site).join(', ');
  const transport =
    f.transport === 'amqp'
      ? [`${f.sites.length} simulated agents publish heartbeats through RabbitMQ at ${broker} (exchange "${f.exchange}"); the server consumes them.`]
      : [
          `No RabbitMQ broker answered at ${broker} within ${f.connectTimeoutS} s, so the ${f.sites.length} simulated agents`,
          'feed the server\'s registry directly (the same heartbeat messages, without the broker hop).',
          'Start RabbitMQ and run the demo again to see heartbeats travel over AMQP.',
        ];
  const width = Math.max(...SAMPLE_CALLERS.map((c) => `${c.continent}, ${c.place}`.length));
  const lookups = SAMPLE_CALLERS.map((c) => `    ${`${c.continent}, ${c.place}`.padEnd(width)}  ${f.url}/api/v1/nearest?ip=${c.ip}`);
  const geneva = SAMPLE_CALLERS[0]?.ip ?? '188.184.1.1';
  return [
    'Shoal demo',
    '',
    ...transport,
    `Sites: ${names}.`,
    `${f.joined} of ${f.sites.length} caches registered; each agent beats every ${f.intervalS} s and its load drifts.`,
    '',
    `Server: ${f.url} (in-memory registry, bundled GeoIP database; cache verification off: demo caches do not exist;`,
    '  callers with no location, such as this machine, ranked by load: --unknown-caller by-load)',
    '',
    `  Status page        ${f.url}/`,
    `  Every cache        ${f.url}/api/v1/caches`,
    '  Nearest caches for a VM in',
    ...lookups,
    `  PAC file           ${f.url}/wpad.dat  (as a VM at CERN gets it: ${f.url}/wpad.dat?ip=${geneva})`,
    '  The client, printing the CVMFS proxy string it would write (--no-verify: demo caches have .test names',
    '  that do not resolve; asked from this machine, which has no location, the server ranks by load alone):',
    `    npx shoal-client --server ${f.url} --dump --no-verify --discovery-time 0`,
    '',
    'Ctrl-C stops the agents (each says goodbye) and then the server.',
    '',
  ].join('\n');
}
