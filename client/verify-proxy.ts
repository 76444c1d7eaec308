import { request } from 'node:http';
import type { Clock } from '../shared/clock.js';

export interface ProxyCheck {
  ok: boolean;
  /** Milliseconds from sending the request to the end of a good answer; null when it failed. */
  ms: number | null;
  error: string | null;
}

const MAX_BODY = 1 << 20;

/**
 * Repository a CVMFS test URL names, as the original does with `cvmfs\/(.+?)(\/|\.)`
 * (`/cvmfs/atlas.cern.ch/.cvmfswhitelist` → `atlas`); null for other URLs.
 */
export function repoOfTestUrl(url: string): string | null {
  return /cvmfs\/(.+?)(\/|\.)/.exec(url)?.[1] ?? null;
}

/** Whether a test body is good: for CVMFS URLs a line starting with `N` names the repository (the manifest's name line). */
export function isGoodTestBody(url: string, body: string): boolean {
  const repo = repoOfTestUrl(url);
  if (repo === null) return true;
  return body.split('\n').some((line) => line.startsWith('N') && line.includes(repo));
}

/**
 * Fetches `testUrl` through an HTTP proxy: a plain request to the proxy with the absolute URL as the
 * request target, which is what CVMFS itself sends. (A CONNECT tunnel, as undici's ProxyAgent makes, is
 * refused by a stock Squid for port 80, so it would test something CVMFS never does.)
 */
export function checkProxy(proxy: string, testUrl: string, options: { timeoutMs: number; clock: Clock }): Promise<ProxyCheck> {
  const started = options.clock.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProxyCheck) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const fail = (error: string) => finish({ ok: false, ms: null, error });
    let target: URL;
    let via: URL;
    try {
      target = new URL(testUrl);
      via = new URL(proxy);
    } catch {
      resolve({ ok: false, ms: null, error: 'not a URL' });
      return;
    }
    const req = request({
      host: via.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(via.port || 80),
      method: 'GET',
      path: target.href,
      headers: { host: target.host, 'user-agent': 'shoal-client', accept: '*/*' },
    });
    const timer = setTimeout(() => fail(`no answer within ${options.timeoutMs} ms`), options.timeoutMs);
    req.on('error', (error) => fail(error.message));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        fail(`HTTP ${res.statusCode ?? '?'} through the proxy`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) fail('test answer too large');
        else chunks.push(c);
      });
      res.on('error', (error) => fail(error.message));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (!isGoodTestBody(testUrl, body)) fail('test answer does not name the repository');
        else finish({ ok: true, ms: options.clock.now() - started, error: null });
      });
    });
    req.end();
  });
}
