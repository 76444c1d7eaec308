import { networkInterfaces } from 'node:os';
import type { Clock } from '../shared/clock.js';
import { toWire, type Heartbeat } from '../shared/heartbeat.js';
import type { Logger } from '../shared/logger.js';
import { discoverAddresses, type HostAddresses } from './addresses.js';
import type { AgentConfig } from './config.js';
import { buildHeartbeat } from './heartbeat-builder.js';
import type { LoadSource } from './load.js';
import type { Publisher } from './publisher.js';

export interface AgentDeps {
  config: AgentConfig;
  logger: Logger;
  clock: Clock;
  uuid: string;
  load: LoadSource;
  publisher: Publisher;
  /** NIC speed as max load (kB/s), when known. */
  nicMaxLoad: number | null;
  /** Host addresses; default: read from the interfaces at each beat (they can change). */
  addresses?: () => HostAddresses;
  random?: () => number;
}

export interface Agent {
  start(): void;
  /** Stop beating and say goodbye so the server drops the cache at once. */
  stop(): Promise<void>;
  /** Build and publish one heartbeat now; resolves to what was sent and whether the broker took it. */
  beat(): Promise<{ heartbeat: Heartbeat; published: boolean }>;
  /** The heartbeat that would be published now, without publishing. */
  preview(): Promise<Heartbeat>;
}

export function createAgent(deps: AgentDeps): Agent {
  const { config, clock, publisher } = deps;
  const log = deps.logger.child({ component: 'agent' });
  const random = deps.random ?? Math.random;
  const addresses = deps.addresses ?? (() => discoverAddresses(networkInterfaces()));
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let lastPublished: boolean | null = null;
  // Heartbeats older than a few intervals are useless to the server: let the broker drop them.
  const expirationMs = Math.max(60_000, config.interval * 3000);

  const observe = async (status?: Heartbeat['status']) => {
    let load = 0;
    try {
      load = await deps.load.sample();
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'cannot read load; sending 0');
    }
    return buildHeartbeat(config, {
      uuid: deps.uuid,
      addresses: addresses(),
      load,
      nicMaxLoad: deps.nicMaxLoad,
      nowMs: clock.now(),
      ...(status ? { status } : {}),
    });
  };

  const beat = async () => {
    const heartbeat = await observe();
    const published = await publisher.publish(toWire(heartbeat), { expirationMs });
    if (published !== lastPublished) {
      if (published) log.info({ uuid: heartbeat.uuid, hostname: heartbeat.hostname, load: heartbeat.load }, 'advertising cache');
      else log.warn('broker unreachable; heartbeat not sent (will retry)');
      lastPublished = published;
    } else {
      log.debug({ load: heartbeat.load, published }, 'heartbeat');
    }
    return { heartbeat, published };
  };

  const nextDelay = () => config.interval * 1000 * (1 + config.jitter * (2 * random() - 1));

  const loop = async () => {
    if (!running) return;
    try {
      await beat();
    } catch (error) {
      log.error({ err: error }, 'heartbeat failed');
    }
    if (running) timer = setTimeout(() => void loop(), nextDelay());
  };

  return {
    beat,
    preview: () => observe(),
    start() {
      if (running) return;
      running = true;
      // First beat once connected (or right away if the broker is slow), so a new cache appears quickly.
      void publisher.link.waitConnected(5000).catch(() => undefined).then(() => loop());
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      const goodbye = await observe('leaving');
      const sent = await publisher.publish(toWire(goodbye), { expirationMs });
      log.info({ sent }, sent ? 'said goodbye' : 'could not say goodbye; the server drops the cache after its TTL');
    },
  };
}
