import amqp from 'amqplib';
import type { Clock } from '../../shared/clock.js';
import { createManualClock } from './clock.js';
import { EXCHANGE_OPTIONS, HEARTBEAT_ROUTING_KEY } from '../../shared/amqp.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { loadServerConfig, type ServerConfig } from '../../server/config.js';
import { startServer, type RunningServer } from '../../server/start.js';
import { AMQP_URL, deleteExchange, uniqueName } from './services.js';

/**
 * A server config for tests: loopback, any free port, an exchange of the test's own, quiet logs, and
 * verification off (it would fetch through the caches' addresses, which may be beyond loopback); tests
 * of verification turn it on with their own loopback caches.
 */
export function testServerConfig(flags: Record<string, unknown> = {}): ServerConfig {
  return loadServerConfig({
    env: {},
    // warmup 0: a test's server answers as a warmed-up one; tests of warming set it.
    flags: { host: '127.0.0.1', port: 0, amqpUrl: AMQP_URL, exchange: uniqueName('shoal-test'), logLevel: 'silent', verify: false, warmup: 0, ...flags },
  });
}

export interface TestServer extends RunningServer {
  config: ServerConfig;
  clock: Clock;
}

/**
 * Starts a whole server in-process (real HTTP, real AMQP unless `amqp: false`). Pass a manual clock to
 * drive TTL expiry without sleeping.
 */
export async function startTestServer(
  options: { flags?: Record<string, unknown>; clock?: Clock; amqp?: boolean; logger?: Logger } = {},
): Promise<TestServer> {
  const config = testServerConfig(options.flags);
  const clock = options.clock ?? createManualClock(Date.now());
  const amqpOn = options.amqp ?? true;
  const server = await startServer(config, { logger: options.logger ?? createSilentLogger(), clock, amqp: amqpOn });
  if (server.consumer) await server.consumer.waitConnected(10_000);
  const stop = async () => {
    await server.stop();
    if (amqpOn) await deleteExchange(config.exchange);
  };
  return { ...server, stop, config, clock };
}

/** Publishes raw bytes to an exchange as the original agent does (content_type only, no delivery mode). */
export async function publishRaw(exchange: string, body: string | Buffer, url = AMQP_URL): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const channel = await conn.createConfirmChannel();
    await channel.assertExchange(exchange, 'topic', EXCHANGE_OPTIONS);
    channel.publish(exchange, HEARTBEAT_ROUTING_KEY, Buffer.isBuffer(body) ? body : Buffer.from(body), { contentType: 'application/json' });
    await channel.waitForConfirms();
  } finally {
    await conn.close();
  }
}

/** Polls until `check` returns a truthy value (or throws on timeout with the last error). */
export async function waitFor<T>(check: () => T | Promise<T>, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

/** A heartbeat in the original agent's exact form, with overrides. */
export function originalHeartbeat(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: uniqueName('agent').replaceAll('-', ''),
    hostname: 'shoal-squid.test',
    cache_port: '3128',
    cache_type: 'squid',
    verified: false,
    max_load: -112,
    upstream: 'both',
    private_ip: '10.1.2.3',
    external_ip: '142.104.1.1',
    timestamp: Date.now() / 1000,
    load: 0.0,
    ...overrides,
  };
}
