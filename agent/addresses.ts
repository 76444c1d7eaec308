import type { NetworkInterfaceInfo } from 'node:os';
import { isNonPublicIp, normaliseIp } from '../shared/ip.js';

export interface HostAddresses {
  publicIp?: string | undefined;
  privateIp?: string | undefined;
}

/**
 * Picks the host's public and private address from its interfaces (as `os.networkInterfaces()` gives
 * them): IPv4 preferred, then global IPv6; loopback and link-local never.
 */
export function discoverAddresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): HostAddresses {
  const all: NetworkInterfaceInfo[] = [];
  for (const list of Object.values(interfaces)) for (const info of list ?? []) if (!info.internal) all.push(info);
  const usable = all.filter((i) => !i.address.startsWith('fe80') && !i.address.startsWith('169.254.'));
  const byPreference = [...usable.filter((i) => i.family === 'IPv4'), ...usable.filter((i) => i.family === 'IPv6')];
  const publicInfo = byPreference.find((i) => !isNonPublicIp(i.address));
  const privateInfo = byPreference.find((i) => isNonPublicIp(i.address) && !i.address.startsWith('127.'));
  return {
    publicIp: publicInfo ? normaliseIp(publicInfo.address) : undefined,
    privateIp: privateInfo ? normaliseIp(privateInfo.address) : undefined,
  };
}
