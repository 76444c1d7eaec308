import { networkInterfaces } from 'node:os';
import type { Clock } from '../shared/clock.js';
import { toWire, type Heartbeat } from '../shared/heartbeat.js';
import type { ProxyHost } from '../shared/identity.js';
import type { Logger } from '../shared/logger.js';
import type { Signer } from '../shared/signing.js';
import { discoverAddresses, type HostAddresses } from './addresses.js';
import type { AgentConfig } from './config.js';
import { buildHeartbeat } from './heartbeat-builder.js';
import type { CacheFiguresSource } from './cache-manager.js';
import type { LoadSource } from './load.js';
import type { Publisher } from './publisher.js';
import type { SelfCheck, SelfCheckResult } from './self-check.js';

export interface AgentDeps {
  config: AgentConfig;
  logger: Logger;
  clock: Clock;
  uuid: string;
  /** The name to advertise, chosen at start (chooseHostname in hostname.ts); default: `--hostname`, which must then be set. */
  hostname?: ProxyHost;
  load: LoadSource;
  publisher: Publisher;
  /** NIC speed as max load (kB/s), when known. */
  nicMaxLoad: number | null;
  /** Host addresses; default: read from the interfaces at each beat (they can change). */
  addresses?: () => HostAddresses;
  random?: () => number;
  /** Fetches the test URL through the cache; absent: every heartbeat says `ok`. */
  selfCheck?: SelfCheck;
  /** Request rate and client count from the cache manager; absent or null figures are left out. */
  figures?: CacheFiguresSource;
  /** Signs every message (heartbeats and the goodbye) when the agent has a key; absent: unsigned, as the original. */
  signer?: Signer;
}

export interface Agent {
  start(): void;
  /** Stop beating and say goodbye so the server drops the cache at once. */
  stop(): Promise<void>;
  /** Build and publish one heartbeat now; resolves to what was sent and whether the broker took it. */
  beat(): Promise<{ heartbeat: Heartbeat; published: boolean }>;
  /** The heartbeat that would be published now, without publishing. */
  preview(): Promise<Heartbeat>;
  /** Run the self-check now and build the heartbeat it leads to, without publishing (`--check`). */
  check(): Promise<{ check: SelfCheckResult | null; heartbeat: Heartbeat }>;
}

export function createAgent(deps: AgentDeps): Agent {
  const { config, clock, publisher } = deps;
  const log = deps.logger.child({ component: 'agent' });
  const random = deps.random ?? Math.random;
  const addresses = deps.addresses ?? (() => discoverAddresses(networkInterfaces()));
  const hostname = deps.hostname ?? config.hostname;
  if (!hostname) throw new Error('createAgent needs a hostname: --hostname, or the one chooseHostname picked');
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let lastPublished: boolean | null = null;
  // Heartbeats older than a few intervals are useless to the server: let the broker drop them.
  const expirationMs = Math.max(60_000, config.interval * 3000);
  const wire = (hb: Heartbeat) => (deps.signer ? deps.signer.sign(toWire(hb)) : toWire(hb));

  let lastCheckOk: boolean | null = null;

  const observe = async (options: { status?: Heartbeat['status']; statusReason?: string | undefined; figures?: boolean } = {}) => {
    const [load, figures] = await Promise.all([
      deps.load.sample().catch((error: unknown) => {
        log.warn({ err: (error as Error).message }, 'cannot read load; sending 0');
        return 0;
      }),
      options.figures && deps.figures ? deps.figures.sample().catch(() => null) : Promise.resolve(null),
    ]);
    return buildHeartbeat(config, {
      uuid: deps.uuid,
      hostname,
      addresses: addresses(),
      load,
      nicMaxLoad: deps.nicMaxLoad,
      nowMs: clock.now(),
      ...(options.status ? { status: options.status, statusReason: options.statusReason } : {}),
      ...(figures ? { requestRate: figures.requestRate, clientCount: figures.clientCount } : {}),
    });
  };

  /** A failing cache is still announced, as `failing`, so the server drops it at once rather than after the TTL. */
  const observeChecked = async (check: SelfCheckResult | null) =>
    check && !check.ok ? observe({ status: 'failing', statusReason: check.reason, figures: true }) : observe({ figures: true });

  const noteCheck = (check: SelfCheckResult | null) => {
    if (!check || check.ok === lastCheckOk) return;
    if (check.ok && check.reason) log.info(check.reason); // checking is off
    else if (check.ok) log.info({ url: check.url, ms: check.ms }, lastCheckOk === null ? 'self-check passed' : 'self-check passes again; advertising the cache');
    else log.warn({ reason: check.reason }, 'self-check failed; advertising the cache as failing until it passes');
    lastCheckOk = check.ok;
  };

  const beat = async () => {
    const check = deps.selfCheck ? await deps.selfCheck.current() : null;
    noteCheck(check);
    const heartbeat = await observeChecked(check);
    const published = await publisher.publish(wire(heartbeat), { expirationMs });
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
    preview: () => observe({ figures: true }),
    async check() {
      const check = deps.selfCheck ? await deps.selfCheck.run() : null;
      return { check, heartbeat: await observeChecked(check) };
    },
    start() {
      if (running) return;
      running = true;
      // First beat once connected (or right away if the broker is slow), so a new cache appears quickly.
      void publisher.waitReady(5000).catch(() => undefined).then(() => loop());
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      const goodbye = await observe({ status: 'leaving' });
      const sent = await publisher.publish(wire(goodbye), { expirationMs });
      log.info({ sent }, sent ? 'said goodbye' : 'could not say goodbye; the server drops the cache after its TTL');
    },
  };
}
