import { request } from 'node:http';
import { z } from 'zod';

/** A test URL: plain http://, since the cache is asked as an HTTP proxy (no CONNECT). */
export const HttpUrlSchema = z
  .string()
  .trim()
  .refine((v) => URL.canParse(v) && new URL(v).protocol === 'http:', 'must be an http:// URL (the cache is asked as a plain HTTP proxy)');

/** The original Shoal's test repository, on the CERN stratum 1 that every site's cache may reach. */
export const DEFAULT_TEST_URL = 'http://cvmfs-stratum-one.cern.ch/cvmfs/atlas.cern.ch/.cvmfspublished';

/** Where a probe goes: the cache, used as an HTTP proxy. */
export interface ProxyTarget {
  host: string;
  port: number;
}

export type ProbeResult = { ok: true; url: string; status: number; ms: number } | { ok: false; url: string; reason: string; ms: number };

/** Only this much of an answer is read: the CVMFS manifest's header lines come first. */
const MAX_BODY_BYTES = 64 * 1024;

/** Repository named by a CVMFS URL: `http://host/cvmfs/atlas.cern.ch/.cvmfspublished` → `atlas.cern.ch`. */
export function repositoryOf(url: string): string | null {
  const match = /\/cvmfs\/([^/]+)\//.exec(new URL(url).pathname);
  return match?.[1] ?? null;
}

/**
 * Judges a test URL's answer as the original Shoal did: HTTP 200, and for a CVMFS URL a line starting
 * with `N` that names the repository (`.cvmfspublished` and `.cvmfswhitelist` both carry one). Squid's
 * own error pages are named by their `X-Squid-Error` header, so the reason says what the cache refused.
 */
export function judgeAnswer(url: string, status: number, headers: Record<string, string | string[] | undefined>, body: string): string | null {
  const squidError = headers['x-squid-error'];
  if (status !== 200) {
    const named = typeof squidError === 'string' ? ` (${squidError.split(' ')[0]})` : '';
    return `HTTP ${status}${named}`;
  }
  const repository = repositoryOf(url);
  if (!repository) return null;
  const named = body.split('\n').some((line) => line.startsWith('N') && line.slice(1).trim() === repository);
  return named ? null : `answer does not name repository ${repository} (no "N${repository}" line)`;
}

/**
 * GETs an http:// URL through a cache (a plain proxy request with an absolute URI; no CONNECT), with
 * one deadline for connect, headers and body. Never throws: a refused port, a timeout and a wrong
 * answer all come back as `{ ok: false, reason }`.
 */
export function probeThroughProxy(target: ProxyTarget, url: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const fail = (reason: string) => finish({ ok: false, url, reason, ms: elapsed() });
    const parsed = new URL(url);
    const req = request({
      host: target.host,
      port: target.port,
      method: 'GET',
      path: parsed.href,
      // No `Cache-Control: max-age=0`: a cache may answer from its copy, as for any client, so a
      // thousand caches checked every minute do not become a thousand requests a minute at a stratum 1.
      headers: { host: parsed.host, 'user-agent': 'shoal-verify' },
      // One connection per probe: a pooled socket could hide that the cache went away.
      agent: false,
    });
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => fail(error.code === 'ECONNREFUSED' ? `connection refused by ${target.host}:${target.port}` : error.message));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const judge = () => {
        const problem = judgeAnswer(url, res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'));
        if (problem) fail(problem);
        else finish({ ok: true, url, status: res.statusCode ?? 200, ms: elapsed() });
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_BODY_BYTES) judge(); // enough to judge; finish() drops the rest
      });
      res.on('error', (error) => fail(error.message));
      res.on('end', judge);
    });
    req.end();
  });
}

/** Tries the URLs in order and passes at the first good answer (a cache passes if any test URL works). */
export async function probeAny(target: ProxyTarget, urls: readonly string[], timeoutMs: number): Promise<ProbeResult> {
  let last: ProbeResult | null = null;
  for (const url of urls) {
    last = await probeThroughProxy(target, url, timeoutMs);
    if (last.ok) return last;
  }
  return last ?? { ok: false, url: '', reason: 'no test URL configured', ms: 0 };
}
