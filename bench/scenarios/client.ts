import { spawn } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { createFeeder, waitForCacheCount } from '../feed.js';
import type { ClientFigures } from '../results.js';
import { CLIENT_BIN, startServerProcess } from '../server-process.js';
import { median } from '../stats.js';
import { waitForAmqp } from './lookup.js';

/** What a scenario sets up: which of the 5 proxies are down, and how the Shoal server behaves. */
export interface ClientScenario {
  name: string;
  /** Indexes (0..4) of proxies whose port is closed during the scenario. */
  proxiesDown: number[];
  server: 'up' | 'refuses' | 'hangs';
  /** Wall-time budget (ms) the scenario is held to; null: measured only. */
  budgetMs: (timeoutMs: number) => number | null;
}

/**
 * Flags every run gets. LAN discovery is off: its default listens 2 s and broadcasts beyond loopback.
 * The test URL names a host nobody resolves: only the local stand-in proxies ever see it.
 */
export const CLIENT_BASE_ARGS: readonly string[] = ['--count', '5', '--dump', '--discovery-time', '0', '--test-url', 'http://cvmfs.bench.test/cvmfs/atlas.cern.ch/.cvmfswhitelist'];

/** Node's own start-up and the client's module loading, on top of whatever the client waits for. */
const STARTUP_ALLOWANCE_MS = 1000;

export const CLIENT_SCENARIOS: readonly ClientScenario[] = [
  { name: 'all 5 proxies up', proxiesDown: [], server: 'up', budgetMs: () => 1000 },
  { name: 'one proxy down', proxiesDown: [2], server: 'up', budgetMs: () => null },
  { name: 'server down (refused)', proxiesDown: [], server: 'refuses', budgetMs: (t) => t + STARTUP_ALLOWANCE_MS },
  { name: 'server hangs (no answer)', proxiesDown: [], server: 'hangs', budgetMs: (t) => t + STARTUP_ALLOWANCE_MS },
];

export interface ClientSettings {
  runs: number;
  timeoutMs: number;
  amqpUrl: string;
}

/**
 * Wall time of `shoal-client --dump` as cron runs it (a new node process each time), against a real
 * server process that lists 5 caches, each a local HTTP listener standing in for a Squid.
 */
export async function runClientBench(deps: { settings: ClientSettings; log: (line: string) => void }): Promise<ClientFigures[]> {
  const { settings } = deps;
  const proxies = await Promise.all([0, 1, 2, 3, 4].map(() => startFakeProxy()));
  const exchange = `shoal-bench-client-${process.pid}-${Date.now().toString(36)}`;
  const server = await startServerProcess(['--amqp-url', settings.amqpUrl, '--exchange', exchange, '--log-level', 'info']);
  const feeder = await createFeeder(settings.amqpUrl, exchange);
  const refused = await closedPort();
  const hanging = await startHangingServer();
  const out: ClientFigures[] = [];
  try {
    await waitForAmqp(server.url);
    const nowS = Date.now() / 1000;
    await feeder.publish(
      proxies.map((p, i) => ({ uuid: `benchclient${i}`, hostname: '127.0.0.1', cache_port: String(p.port), cache_type: 'squid', verified: true, upstream: 'both', timestamp: nowS, load: i * 100, max_load: '122000' })),
    );
    await waitForCacheCount(server.url, proxies.length, 10_000);

    for (const scenario of CLIENT_SCENARIOS) {
      for (const i of scenario.proxiesDown) await proxies[i]?.down();
      const base = scenario.server === 'up' ? server.url : scenario.server === 'refuses' ? `http://127.0.0.1:${refused}` : hanging.url;
      const times: number[] = [];
      let last = { code: null as number | null, output: '' };
      for (let run = 0; run < settings.runs; run++) {
        const started = performance.now();
        last = await runClient(['--server', base, '--timeout', String(settings.timeoutMs), ...CLIENT_BASE_ARGS]);
        times.push(performance.now() - started);
      }
      for (const i of scenario.proxiesDown) await proxies[i]?.up();
      const figures: ClientFigures = {
        scenario: scenario.name,
        runs: times.length,
        medianMs: median(times),
        maxMs: Math.max(...times),
        exitCode: last.code,
        output: last.output.trim().slice(0, 500),
        budgetMs: scenario.budgetMs(settings.timeoutMs),
      };
      deps.log(`client: ${scenario.name}: median ${Math.round(figures.medianMs)} ms, exit ${figures.exitCode}`);
      out.push(figures);
    }
    return out;
  } finally {
    await feeder.close();
    await server.stop();
    hanging.close();
    await Promise.all(proxies.map((p) => p.down()));
  }
}

function runClient(args: string[]): Promise<{ code: number | null; output: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SHOAL_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const limit = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(limit);
      resolve({ code, output });
    });
  });
}

/** An HTTP listener that answers any request (absolute-URI ones, as a forward proxy gets) with a CVMFS whitelist. */
async function startFakeProxy(): Promise<{ port: number; down(): Promise<void>; up(): Promise<void> }> {
  let server: Server | null = null;
  let port = 0;
  const up = async () => {
    if (server) return;
    const s = createHttpServer((_req, res) => {
      const body = '20261122000000\nE20261222000000\nNatlas.cern.ch\n--\n';
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  await up();
  return {
    port,
    up,
    async down() {
      const s = server;
      server = null;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening (connections are refused at once). */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Accepts connections and never answers: a server that hangs, so the client must give up on its timeout. */
async function startHangingServer(): Promise<{ url: string; close(): void }> {
  const sockets = new Set<Socket>();
  const s = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    close() {
      for (const socket of sockets) socket.destroy();
      s.close();
    },
  };
}
