import type { NetworkInterfaceInfo } from 'node:os';
import { addressClass, parseIpLiteral, type IpLiteral } from '../shared/identity.js';

export interface HostAddresses {
  publicIp?: IpLiteral | undefined;
  privateIp?: IpLiteral | undefined;
}

/**
 * Picks the host's public and private address from its interfaces (as `os.networkInterfaces()` gives
 * them): IPv4 preferred, then IPv6. Public means public unicast by ipaddr.js's range tables, so
 * documentation, benchmarking and other reserved blocks are never advertised as public; private means
 * RFC 1918, unique-local or CGNAT. Loopback, link-local and the rest are never advertised.
 */
export function discoverAddresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): HostAddresses {
  const found: { ip: IpLiteral; v4: boolean }[] = [];
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      const ip = info.internal ? null : parseIpLiteral(info.address);
      if (ip !== null) found.push({ ip, v4: !ip.includes(':') });
    }
  }
  const byPreference = [...found.filter((a) => a.v4), ...found.filter((a) => !a.v4)].map((a) => a.ip);
  return {
    publicIp: byPreference.find((ip) => addressClass(ip) === 'public'),
    privateIp: byPreference.find((ip) => PRIVATE_CLASSES.has(addressClass(ip))),
  };
}

const PRIVATE_CLASSES: ReadonlySet<string> = new Set(['private', 'cgnat']);
