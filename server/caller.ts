import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { isIP } from 'node:net';
import { normaliseIp, type NetworkMatcher } from '../shared/ip.js';
import { callerAddress } from './caller-address.js';
import { ApiError } from './errors.js';
import type { Caller, LookupService } from './lookup.js';

/** Socket peer of a request; null when there is no socket (in-process `app.request` in tests). */
export function peerAddress(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

/** Who is asking: `?ip=` on behalf of another address, `lat`/`lon` for a position, else the request's own address. */
export function resolveCaller(
  c: Context,
  deps: { lookup: LookupService; trustedProxies: NetworkMatcher },
  query: { ip?: string | undefined; lat?: number | undefined; lon?: number | undefined },
): Caller {
  let ip: string | null;
  if (query.ip !== undefined) {
    if (isIP(normaliseIp(query.ip)) === 0) throw new ApiError('bad_request', 'ip: must be an IPv4 or IPv6 address', 'ip');
    ip = normaliseIp(query.ip);
  } else {
    ip = callerAddress(peerAddress(c), c.req.header('x-forwarded-for'), deps.trustedProxies);
  }
  const coordinates = query.lat !== undefined && query.lon !== undefined ? { latitude: query.lat, longitude: query.lon } : undefined;
  return deps.lookup.locate(ip, coordinates);
}
