import type { Heartbeat } from '../shared/heartbeat.js';
import type { ProxyHost } from '../shared/identity.js';
import type { HostAddresses } from './addresses.js';
import type { AgentConfig } from './config.js';

/** What a heartbeat is built from besides config: values found at run time. */
export interface Observed {
  uuid: string;
  /** The name advertised: `--hostname`, or the one chosen at start (hostname.ts). */
  hostname: ProxyHost;
  addresses: HostAddresses;
  load: number;
  /** Max load found from the NIC, when config gives none. */
  nicMaxLoad: number | null;
  nowMs: number;
  status?: Heartbeat['status'];
  statusReason?: string | undefined;
  /** From the cache manager, when it could be read. */
  requestRate?: number | undefined;
  clientCount?: number | undefined;
}

/** Config wins over discovery for addresses; the original sends external_ip only when there is no public one. */
export function buildHeartbeat(config: AgentConfig, observed: Observed): Heartbeat {
  const publicIp = config.publicIp || observed.addresses.publicIp;
  const privateIp = config.privateIp || observed.addresses.privateIp;
  const maxLoad = config.maxLoad > 0 ? config.maxLoad : observed.nicMaxLoad;
  return {
    uuid: observed.uuid,
    hostname: observed.hostname,
    cachePort: config.cachePort,
    cacheType: config.cacheType,
    upstream: config.upstream,
    verified: config.verified,
    maxLoad,
    load: Math.round(observed.load * 1000) / 1000,
    timestamp: observed.nowMs / 1000,
    publicIp: publicIp || undefined,
    privateIp: privateIp || undefined,
    externalIp: publicIp ? undefined : config.externalIp || undefined,
    site: config.site,
    networks: config.networks.length > 0 ? [...config.networks] : undefined,
    latitude: config.latitude,
    longitude: config.longitude,
    access: config.access,
    status: observed.status ?? 'ok',
    statusReason: observed.statusReason,
    requestRate: observed.requestRate,
    clientCount: observed.clientCount,
  };
}
