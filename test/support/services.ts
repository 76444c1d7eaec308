import amqp from 'amqplib';
import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';
import { promisify } from 'node:util';

export const AMQP_URL = process.env.SHOAL_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env.SHOAL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const run = promisify(execFile);

/**
 * Whether a service a test file needs is there. Under CI (CI=true) a missing service fails the run
 * loudly; elsewhere the file is skipped with a message saying what to start.
 */
export async function serviceAvailable(name: string, check: () => Promise<void>, howToStart: string): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (error) {
    const message = `${name} is not available (${(error as Error).message}). Start it: ${howToStart}`;
    if (process.env.CI === 'true') throw new Error(`CI requires ${message}`);
    console.warn(`skipping: ${message}`);
    return false;
  }
}

/**
 * Removes a test's exchange from the broker the tests share. The exchanges are not durable, but the
 * broker keeps running between runs, and each run used to leave a few dozen behind.
 */
export async function deleteExchange(name: string, url = AMQP_URL): Promise<void> {
  try {
    const conn = await amqp.connect(url);
    try {
      const channel = await conn.createChannel();
      await channel.deleteExchange(name);
    } finally {
      await conn.close();
    }
  } catch {
    // Nothing to clean up on a broker that is not there (the test said so already).
  }
}

export function rabbitAvailable(): Promise<boolean> {
  return serviceAvailable(
    'RabbitMQ',
    async () => {
      const conn = await amqp.connect(AMQP_URL);
      await conn.close();
    },
    `rabbitmq-server -detached (tests use ${AMQP_URL})`,
  );
}

export function redisAvailable(): Promise<boolean> {
  return serviceAvailable(
    'Redis',
    () =>
      new Promise<void>((resolve, reject) => {
        const url = new URL(REDIS_URL);
        const socket = createConnection({ host: url.hostname, port: Number(url.port || 6379) }, () => {
          socket.end();
          resolve();
        });
        socket.once('error', reject);
      }),
    'redis-server --daemonize yes --port 6379',
  );
}

export async function binaryAvailable(name: string, path: string, install: string): Promise<boolean> {
  return serviceAvailable(name, async () => void (await run(path, ['--version'])), install);
}

/** A RabbitMQ vhost of the test's own, so dropping its connections touches nothing else on the broker. */
export async function createTestVhost(prefix = 'shoal-test'): Promise<{ vhost: string; url: string; drop(): Promise<void>; remove(): Promise<void> }> {
  const vhost = uniqueName(prefix);
  await run('rabbitmqctl', ['add_vhost', vhost]);
  await run('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  const base = new URL(AMQP_URL);
  return {
    vhost,
    url: `${base.protocol}//${base.username}:${base.password}@${base.host}/${encodeURIComponent(vhost)}`,
    drop: async () => void (await run('rabbitmqctl', ['close_all_connections', '--vhost', vhost, 'test: dropping connections'])),
    remove: async () => void (await run('rabbitmqctl', ['delete_vhost', vhost]).catch(() => undefined)),
  };
}

/** A unique name for queues, exchanges and key prefixes, so parallel test files never share state. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
