import { request } from 'node:http';
import type { Clock } from '../shared/clock.js';

/** Figures read from Squid's cache manager (`mgr:info`). */
export interface CacheFigures {
  /** HTTP requests per second (between two samples; the since-start average on the first). */
  requestRate: number;
  /** Clients Squid has seen recently ("Number of clients accessing cache"). */
  clientCount: number;
}

export interface CacheFiguresSource {
  /** The figures now, or null when the cache manager cannot be read (the caller omits them). */
  sample(): Promise<CacheFigures | null>;
}

export interface MgrInfo {
  clients: number;
  requests: number;
  averagePerMinute: number;
}

/** Reads the three figures we use from `mgr:info` text; null if it is not an info page. */
export function parseMgrInfo(text: string): MgrInfo | null {
  const figure = (label: string) => {
    const match = new RegExp(`^\\s*${label}:\\s*([0-9.]+)`, 'm').exec(text);
    return match?.[1] === undefined ? null : Number(match[1]);
  };
  const clients = figure('Number of clients accessing cache');
  const requests = figure('Number of HTTP requests received');
  const averagePerMinute = figure('Average HTTP requests per minute since start');
  if (clients === null || requests === null || averagePerMinute === null) return null;
  return { clients, requests, averagePerMinute };
}

/**
 * Squid's cache manager at `<baseUrl>info` (e.g. `http://127.0.0.1:3128/squid-internal-mgr/`). The
 * request rate is the change in Squid's request counter between samples, like the load from tx_bytes.
 * A `cachemgr_passwd` goes in HTTP Basic auth, which is where Squid looks for it.
 */
export function createCacheManagerFigures(options: { baseUrl: string; password?: string; timeoutMs: number; clock: Clock }): CacheFiguresSource {
  let previous: { requests: number; atMs: number } | null = null;
  const url = new URL('info', options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  return {
    async sample() {
      const text = await getText(url, options.password, options.timeoutMs);
      const info = text === null ? null : parseMgrInfo(text);
      if (!info) return null;
      const atMs = options.clock.now();
      const last = previous;
      previous = { requests: info.requests, atMs };
      const requestRate =
        last && atMs > last.atMs && info.requests >= last.requests ? (info.requests - last.requests) / ((atMs - last.atMs) / 1000) : info.averagePerMinute / 60;
      return { requestRate: Math.round(requestRate * 1000) / 1000, clientCount: info.clients };
    },
  };
}

/** GET returning the body of a 200 answer, else null (refused, timed out, denied). */
function getText(url: URL, password: string | undefined, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'shoal-agent' };
    if (password) headers.authorization = `Basic ${Buffer.from(`shoal:${password}`).toString('base64')}`;
    const req = request(url, { headers, agent: false, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve(null);
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 256 * 1024) body += chunk;
      });
      res.on('end', () => resolve(body));
      res.on('error', () => resolve(null));
    });
    req.on('error', () => resolve(null));
    req.end();
  });
}

/**
 * Where the agent reads Squid's cache manager: the configured URL, else the cache's own
 * `/squid-internal-mgr/`; null for Varnish (it has none) or when set to `off`.
 */
export function cacheManagerUrl(config: { cacheType: string; cacheManagerUrl: string; cacheHost: string; cachePort: number }): string | null {
  if (config.cacheType !== 'squid' || config.cacheManagerUrl === 'off') return null;
  if (config.cacheManagerUrl) return config.cacheManagerUrl;
  const host = config.cacheHost.includes(':') ? `[${config.cacheHost}]` : config.cacheHost;
  return `http://${host}:${config.cachePort}/squid-internal-mgr/`;
}
