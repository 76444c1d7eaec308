import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from './server.js';
import { serviceAvailable } from './services.js';
import { makeTempDir } from './temp.js';
import { freePort } from './squid.js';

/**
 * A Redis Sentinel set-up of a test's own on loopback: a primary, one replica and one Sentinel, each a
 * `redis-server` process on a free port with its own temp dir and no persistence. The machine's own Redis
 * (6379) is never touched: only processes started here are killed.
 */
export interface SentinelSetup {
  /** The master group name the Sentinel watches. */
  name: string;
  sentinelPort: number;
  /** `redis+sentinel://` URL for `--redis-url`. */
  url: string;
  /** The data servers by port; `primary` is the one that was master at start. */
  primary: { port: number; process: ChildProcess };
  replica: { port: number; process: ChildProcess };
  /** host:port the Sentinel names as master now. */
  masterPort(): Promise<number>;
  /** A plain client of one data server (closed by `stop`). */
  client(port: number): Redis;
  stop(): Promise<void>;
}

/** Whether `redis-server` is there and can run as a Sentinel (fails under CI=true, skips elsewhere). */
export function sentinelAvailable(): Promise<boolean> {
  return serviceAvailable(
    'redis-server with Sentinel mode',
    () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn('redis-server', ['--version'], { stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-server --version exited ${code}`))));
      }),
    'apt-get install -y redis-server (the Sentinel is `redis-server <conf> --sentinel`)',
  );
}


export async function startSentinelSetup(options: { name?: string; downAfterMs?: number } = {}): Promise<SentinelSetup> {
  const name = options.name ?? 'shoaltest';
  const processes: ChildProcess[] = [];
  const clients: Redis[] = [];
  const output = new Map<ChildProcess, string>();
  const run = (args: string[]) => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-4000);
      output.set(child, out);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    processes.push(child);
    return child;
  };
  const dataServer = async (port: number, extra: string[]) => {
    const dir = await makeTempDir('shoal-sentinel-data-');
    return run(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--repl-diskless-sync-delay', '0', ...extra]);
  };
  const client = (port: number) => {
    const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => 100, connectionName: 'shoal-test-sentinel-inspector' });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  const stop = async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(
      processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
  };

  try {
    const [primaryPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
    const primary = await dataServer(primaryPort, []);
    const replica = await dataServer(replicaPort, ['--replicaof', '127.0.0.1', String(primaryPort)]);
    const replicaClient = client(replicaPort);
    await waitFor(async () => /master_link_status:up/.test(await replicaClient.info('replication')), { what: 'the replica to follow the primary', timeoutMs: 10_000 });

    const sentinelDir = await makeTempDir('shoal-sentinel-');
    const conf = join(sentinelDir, 'sentinel.conf');
    // The Sentinel rewrites its file (it records what it learns), so the file lives in its own temp dir.
    await writeFile(
      conf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${sentinelDir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 1`,
        `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 500}`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    run([conf, '--sentinel']);
    const sentinel = client(sentinelPort);
    // Ready once the Sentinel knows the replica as a healthy one (it learns it from the primary's INFO).
    await waitFor(
      async () => {
        const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', name)) as string[][];
        return replicas.some((fields) => {
          const flags = fields[fields.indexOf('flags') + 1] ?? '';
          return fields.includes(String(replicaPort)) && flags === 'slave';
        });
      },
      { what: 'the Sentinel to know the replica', timeoutMs: 15_000 },
    );

    return {
      name,
      sentinelPort,
      url: `redis+sentinel://127.0.0.1:${sentinelPort}/${name}`,
      primary: { port: primaryPort, process: primary },
      replica: { port: replicaPort, process: replica },
      async masterPort() {
        const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string];
        return Number(port);
      },
      client,
      stop,
    };
  } catch (error) {
    const logs = [...output.values()].map((o) => o.slice(-1500)).join('\n---\n');
    await stop();
    throw new Error(`Sentinel set-up failed: ${(error as Error).message}\n${logs}`);
  }
}
