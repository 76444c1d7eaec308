import { isIP } from 'node:net';
import { normaliseIp, type NetworkMatcher } from '../geo/networks.js';

/**
 * The caller's address: the socket peer, unless that peer is a proxy we were told to trust, in which
 * case the right-most untrusted `X-Forwarded-For` hop (anything left of it could be forged).
 */
export function callerAddress(peer: string | null, forwardedFor: string | undefined, trusted: NetworkMatcher): string | null {
  const socket = peer ? normaliseIp(peer) : null;
  if (!socket || !forwardedFor || trusted.size === 0 || !trusted.has(socket)) return socket;
  const hops = forwardedFor
    .split(',')
    .map((h) => normaliseIp(h))
    .filter((h) => isIP(h) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trusted.has(hop)) return hop;
  }
  return hops[0] ?? socket;
}
