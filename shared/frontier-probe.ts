import { deflateSync } from 'node:zlib';

/**
 * A Frontier request to test a cache with, as the client checks proxies for `--frontier` and the server
 * checks Frontier-only caches. Frontier clients ask `<serverurl>/Frontier?type=frontier_request:1:DEFAULT
 * &encoding=BLOB&p1=<query>`, the query zlib-compressed and base64-encoded with `.`, `-` and `_` for
 * `+`, `/` and `=`; `select 1 from dual` is the smallest query every Frontier server answers. The answer
 * is judged as any test URL's (shared/cvmfs-probe.ts): HTTP 200 from the origin through the cache is
 * enough, a refusal by the cache (its ACL, a dead origin) is Squid's own error status.
 */

/** `p1` as a Frontier client encodes a query. */
export function encodeFrontierQuery(sql: string): string {
  return deflateSync(Buffer.from(sql, 'utf8'))
    .toString('base64')
    .replace(/\+/g, '.')
    .replace(/\//g, '-')
    .replace(/=/g, '_');
}

export const FRONTIER_PING_QUERY = 'select 1 from dual';

/**
 * The test request for a Frontier server URL as FRONTIER_SERVER's `(serverurl=...)` names it
 * (`http://frontier.example:8000/atlr`). A URL that already carries a query is taken as the whole request.
 */
export function frontierRequestUrl(serverUrl: string): string {
  if (serverUrl.includes('?')) return serverUrl;
  return `${serverUrl.replace(/\/+$/, '')}/Frontier?type=frontier_request:1:DEFAULT&encoding=BLOB&p1=${encodeFrontierQuery(FRONTIER_PING_QUERY)}`;
}
