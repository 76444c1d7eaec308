import type { Context } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { IncomingMessage } from 'node:http';
import type { NetworkMatcher } from '../geo/networks.js';
import { callerAddress } from '../http/caller-address.js';
import type { Caller, LookupService } from './nearest.js';

/** Node's request behind a context served by `@hono/node-server`; undefined in-process (`app.request` in tests). */
function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as Partial<HttpBindings> | undefined)?.incoming;
}

/** Socket peer of a request; null when there is no socket (in-process `app.request` in tests). */
export function peerAddress(c: Context): string | null {
  const incoming = incomingOf(c);
  if (incoming) return incoming.socket.remoteAddress ?? null;
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

/**
 * `X-Forwarded-For` as one string (repeated headers joined with ", ", as `Headers.get` joins them). Read
 * from Node's own header object when there is one: `c.req.header()` builds a WHATWG `Headers` of every
 * request header first, which measured as much as the rest of a lookup (see docs/benchmarks.md).
 */
function forwardedFor(c: Context): string | undefined {
  const incoming = incomingOf(c);
  if (!incoming) return c.req.header('x-forwarded-for');
  const value = incoming.headers['x-forwarded-for'];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Who is asking: `?ip=` on behalf of another address, `lat`/`lon` for a position, else the request's own
 * address. `query` is the route's parsed query, its `ip` already checked and normalised (api-schemas.ts).
 */
export function resolveCaller(
  c: Context,
  deps: { lookup: LookupService; trustedProxies: NetworkMatcher },
  query: { ip?: string | undefined; lat?: number | undefined; lon?: number | undefined },
): Caller {
  const ip = query.ip ?? callerAddress(peerAddress(c), forwardedFor(c), deps.trustedProxies);
  const coordinates = query.lat !== undefined && query.lon !== undefined ? { latitude: query.lat, longitude: query.lon } : undefined;
  return deps.lookup.locate(ip, coordinates);
}
