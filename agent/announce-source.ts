import type { Announcement } from '../shared/announce.js';
import type { HostAddresses } from './addresses.js';
import type { AgentConfig } from './config.js';

/**
 * What the agent announces on the LAN right now, or null for nothing. As the original: a cache that
 * fails its self-check is not announced. The original format carries IPv4 only, so the first IPv4 of
 * (configured announce address, private, public; configured before discovered) is used.
 */
export function announcementFor(
  config: Pick<AgentConfig, 'announceIp' | 'privateIp' | 'publicIp' | 'cachePort' | 'cacheType' | 'upstream'>,
  found: HostAddresses,
  selfCheckOk: boolean | null,
): Announcement | null {
  if (selfCheckOk === false) return null;
  const ip = [config.announceIp, config.privateIp, found.privateIp, config.publicIp, found.publicIp].find((v) => v && !v.includes(':'));
  return ip ? { ip, port: config.cachePort, type: config.cacheType, upstream: config.upstream } : null;
}
