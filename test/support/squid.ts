import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryAvailable } from './services.js';

export const SQUID_BIN = process.env.SHOAL_TEST_SQUID ?? '/usr/sbin/squid';

/** Whether Squid is installed (fails loudly under CI=true, else the test file skips). */
export function squidAvailable(): Promise<boolean> {
  return binaryAvailable('Squid', SQUID_BIN, 'apt-get install -y squid');
}

/** A free loopback TCP port (there is a small race until the caller binds it; callers retry). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Origin {
  url: string;
  port: number;
  /** Requests seen, as `path`. */
  requests: string[];
  close(): Promise<void>;
}

/** The manifest of a CVMFS repository, enough for the original `N<repo>` check. */
export function cvmfsPublished(repo: string): string {
  return `C0000000000000000000000000000000000000000\nB1024\nRd41d8cd98f00b204e9800998ecf8427e\nD240\nS1\nN${repo}\nX0000000000000000000000000000000000000000\nT${Math.floor(Date.now() / 1000)}\n--\n`;
}

/** What a Frontier server answers to `select 1 from dual` (one record holding 1), enough for any Frontier probe. */
export const FRONTIER_ANSWER =
  '<?xml version="1.0" encoding="US-ASCII"?>\n<!DOCTYPE frontier SYSTEM "http://frontier.fnal.gov/frontier.dtd">\n' +
  '<frontier version="3.41" xmlversion="1.0">\n <transaction payloads="1">\n  <payload type="frontier_request" version="1" encoding="BLOB">\n' +
  '   <data>BgAAAAExBAAAAAExBw==</data>\n   <quality error="0" records="1" full_size="12"/>\n  </payload>\n </transaction>\n</frontier>\n';

/**
 * A local origin serving `/cvmfs/<repo>/.cvmfspublished` and `.cvmfswhitelist` for any repo, and Frontier
 * requests (`/<servlet>/Frontier?type=frontier_request:...`) for any servlet; 404 otherwise.
 */
export async function startOrigin(): Promise<Origin> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://origin');
    const path = url.pathname;
    requests.push(path);
    if (/^\/[\w.-]+\/Frontier$/.test(path) && url.searchParams.get('type')?.startsWith('frontier_request:')) {
      res.writeHead(200, { 'content-type': 'text/xml', 'cache-control': 'max-age=300' }).end(FRONTIER_ANSWER);
      return;
    }
    const m = /^\/cvmfs\/([\w.-]+)\/\.cvmfs(published|whitelist)$/.exec(path);
    if (!m?.[1]) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-cvmfs', 'cache-control': 'max-age=61' }).end(cvmfsPublished(m[1]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface SquidInstance {
  port: number;
  /** `http://127.0.0.1:<port>`, as a proxy URL. */
  url: string;
  dir: string;
  /** Squid's own log (for failure messages). */
  log(): Promise<string>;
  /** Stops Squid (SIGTERM, SIGKILL after a grace time) and removes its files. */
  stop(): Promise<void>;
}

export interface SquidOptions {
  /** Port to listen on (127.0.0.1); default: a free one. Give a stopped Squid's port to bring that cache back. */
  port?: number;
  /** `cachemgr_passwd` for every cache-manager page; default: none (loopback may read the manager). */
  managerPassword?: string;
  /** URL-path regexes Squid refuses (`http_access deny`): a cache whose ACL does not allow the test URL. */
  denyPaths?: readonly string[];
  /** Start attempts (a free port may be taken before Squid binds it). */
  attempts?: number;
}

function squidConfig(dir: string, port: number, options: SquidOptions): string {
  const deny = options.denyPaths?.length ? options.denyPaths : null;
  return [
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${join(dir, 'squid.pid')}`,
    `cache_log ${join(dir, 'cache.log')}`,
    'access_log none',
    'cache_store_log none',
    `coredump_dir ${dir}`,
    // Squid refuses to keep running as root; Debian's squid package creates this user.
    'cache_effective_user proxy',
    'acl loopback src 127.0.0.0/8',
    ...(options.managerPassword ? [`cachemgr_passwd ${options.managerPassword} all`] : []),
    ...(deny ? [`acl shoal_denied urlpath_regex ${deny.join(' ')}`, 'http_access deny shoal_denied'] : []),
    'http_access allow loopback',
    'http_access deny all',
    'icp_port 0',
    'htcp_port 0',
    'pinger_enable off',
    'dns_nameservers 127.0.0.1',
    'shutdown_lifetime 0 seconds',
    '',
  ].join('\n');
}

/**
 * Starts a real Squid on a free loopback port, in the foreground (`-N`), with a config and service name
 * of its own (the service name keys Squid's shared-memory segments, so parallel instances never clash).
 */
export async function startSquid(options: SquidOptions = {}): Promise<SquidInstance> {
  let lastError: Error | null = null;
  for (let attempt = 0; attempt < (options.attempts ?? 3); attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-squid-'));
    await chmod(dir, 0o777); // Squid writes its log as the proxy user
    const port = options.port ?? (await freePort());
    const service = `shoalt${process.pid}x${port}`;
    await writeFile(join(dir, 'squid.conf'), squidConfig(dir, port, options));
    const child = spawn(SQUID_BIN, ['-N', '-n', service, '-f', join(dir, 'squid.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    const log = async () => `${out}${await readFile(join(dir, 'cache.log'), 'utf8').catch(() => '')}`;
    const stop = () => stopSquid(child, dir, service);
    try {
      await waitListening(port, child, 15_000);
      return { port, url: `http://127.0.0.1:${port}`, dir, log, stop };
    } catch (error) {
      lastError = new Error(`${(error as Error).message}\n${await log()}`);
      await stop();
    }
  }
  throw lastError ?? new Error('squid did not start');
}

async function waitListening(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`squid exited (${child.exitCode ?? child.signalCode})`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createNetServer().listen(port, '127.0.0.1');
      // If we can bind the port, Squid is not listening yet.
      socket.once('listening', () => socket.close(() => resolve(false)));
      socket.once('error', () => resolve(true));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`squid did not listen on ${port} within ${timeoutMs} ms`);
}

async function stopSquid(child: ChildProcess, dir: string, service: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
  // Squid may leave its shared-memory segments behind when stopped hard.
  for (const name of ['cf__metadata.shm', 'cf__queues.shm', 'cf__readers.shm']) await rm(`/dev/shm/${service}-${name}`, { force: true });
}
