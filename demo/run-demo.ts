import { createAgent } from '../agent/agent.js';
import { loadAgentConfig } from '../agent/config.js';
import { createPublisher, type Publisher } from '../agent/publisher.js';
import { createAmqpLink } from '../shared/amqp.js';
import type { Clock } from '../shared/clock.js';
import { createSilentLogger, type Logger } from '../shared/logger.js';
import { loadServerConfig } from '../server/config.js';
import { startServer, type RunningServer } from '../server/start.js';
import type { DemoConfig } from './config.js';
import { createDirectPublisher } from './direct-publisher.js';
import { createSimulatedLoad } from './simulated-load.js';
import { DEMO_SITES, type DemoSite } from './sites.js';

/** How the heartbeats reach the server: through the broker, or (none answered) handed over in process. */
export type DemoTransport = 'amqp' | 'direct';

export interface RunningDemo {
  server: RunningServer;
  transport: DemoTransport;
  sites: readonly DemoSite[];
  /** Sites whose cache was in the registry when start-up finished. */
  joined: number;
  /** Stop the agents (each says goodbye), wait for the server to drop their caches, then stop the server. */
  stop(): Promise<{ agents: number; dropped: number }>;
}

const JOIN_WAIT_MS = 10_000;
const GOODBYE_WAIT_MS = 3_000;

export const demoUuid = (site: DemoSite) => `shoal-demo-${site.key}`;

/**
 * The server on its embedded defaults plus one real agent (createAgent) per demo site, each with a
 * simulated load source. Only the load and, without a broker, the broker hop are simulated.
 */
export async function startDemo(
  config: DemoConfig,
  deps: { logger: Logger; clock: Clock; random: () => number; sites?: readonly DemoSite[] },
): Promise<RunningDemo> {
  const { logger, clock, random } = deps;
  const sites = deps.sites ?? DEMO_SITES;
  // env {}: only the demo's own settings; the rest are the server's embedded defaults, but for verification:
  // demo caches do not exist, so the server's test fetch through each would mark every one failing.
  const serverConfig = loadServerConfig({
    env: {},
    flags: { host: config.host, port: config.port, amqpUrl: config.amqpUrl, exchange: config.exchange, logLevel: config.logLevel, verify: false, unknownCaller: 'by-load', warmup: config.interval * 2 },
  });
  const transport: DemoTransport = (await brokerAnswers(config.amqpUrl, config.connectTimeout * 1000)) ? 'amqp' : 'direct';
  const server = await startServer(serverConfig, { logger, clock, amqp: transport === 'amqp' });
  if (server.consumer) {
    // Agents start only once the server's queue is bound, or their first heartbeats would go nowhere.
    try {
      await server.consumer.waitConnected(10_000);
    } catch (error) {
      await server.stop();
      throw new Error(`the broker at ${config.amqpUrl} answered, but the server could not consume from exchange ${config.exchange}: ${(error as Error).message}`);
    }
  }

  const running = sites.map((site) => {
    const log = logger.child({ site: site.site });
    const publisher: Publisher =
      transport === 'amqp' ? createPublisher({ url: config.amqpUrl, exchange: config.exchange, logger: log }) : createDirectPublisher(server.ingest);
    const agent = createAgent({
      config: agentConfigFor(site, config),
      logger: log,
      clock,
      uuid: demoUuid(site),
      load: createSimulatedLoad({ maxLoad: site.maxLoad, band: site.load, random }),
      publisher,
      nicMaxLoad: null,
      // The demo host's own interfaces say nothing about CERN or KEK: only the declared addresses count.
      addresses: () => ({}),
      random,
    });
    agent.start();
    return { site, agent, publisher };
  });

  const present = () => sites.filter((s) => server.registry.get(demoUuid(s)) !== undefined).length;
  await waitUntil(() => present() === sites.length, JOIN_WAIT_MS);
  const joined = present();
  if (joined < sites.length) logger.warn({ joined, sites: sites.length }, 'not every simulated cache joined in time');

  return {
    server,
    transport,
    sites,
    joined,
    async stop() {
      await Promise.all(running.map(({ agent }) => agent.stop()));
      await Promise.all(running.map(({ publisher }) => publisher.close()));
      // Through the broker the goodbyes arrive asynchronously: give the consumer a moment to apply them.
      await waitUntil(() => present() === 0, GOODBYE_WAIT_MS);
      const dropped = sites.length - present();
      await server.stop();
      return { agents: running.length, dropped };
    },
  };
}

/** The agent's configuration, validated by the agent's own config table as a real one would be. */
function agentConfigFor(site: DemoSite, config: DemoConfig) {
  return loadAgentConfig({
    env: {},
    flags: {
      amqpUrl: config.amqpUrl,
      exchange: config.exchange,
      interval: config.interval,
      hostname: site.hostname,
      cachePort: site.cachePort,
      cacheType: site.cacheType,
      upstream: site.upstream,
      maxLoad: site.maxLoad,
      publicIp: site.publicIp,
      latitude: site.latitude,
      longitude: site.longitude,
      site: site.site,
      verified: site.verified,
      uuid: demoUuid(site),
    },
  });
}

/** Whether a broker accepts a connection within the time; the probe's own retries are not worth logging. */
async function brokerAnswers(url: string, timeoutMs: number): Promise<boolean> {
  const link = createAmqpLink({ url, logger: createSilentLogger(), setup: async () => undefined });
  try {
    await link.waitConnected(timeoutMs);
    return true;
  } catch {
    return false;
  } finally {
    await link.close();
  }
}

/** Polls every 50 ms; counts its own waits rather than reading a clock, so an injected manual clock cannot stall it. */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  for (let waited = 0; !done() && waited < timeoutMs; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
}
