import { createSocket, type Socket } from 'node:dgram';
import { formatQuery, parseAnnouncement, type Announcement } from '../shared/announce.js';
import type { Logger } from '../shared/logger.js';

export interface DiscoveryOptions {
  /** Longest time to listen, in ms. */
  durationMs: number;
  /** UDP port agents announce to (original: 50000). */
  port: number;
  /** Where the active query goes (broadcast address, or one host). */
  queryAddress: string;
  /** Once something is heard, wait only this much longer for more (ms). */
  graceMs?: number;
}

export interface Heard extends Announcement {
  /** Address the datagram came from. */
  from: string;
}

function bindSocket(port: number, logger: Logger): Promise<Socket | null> {
  return new Promise((resolve) => {
    const s = createSocket({ type: 'udp4', reuseAddr: true });
    const onError = (error: Error) => {
      logger.debug({ err: error.message, port }, 'cannot listen for LAN announcements');
      s.close();
      resolve(null);
    };
    s.once('error', onError);
    s.bind(port, () => {
      s.off('error', onError);
      s.on('error', (error) => logger.debug({ err: error.message }, 'LAN discovery socket error'));
      resolve(s);
    });
  });
}

/**
 * Finds caches on the LAN: sends our agents an active query from a socket of its own (they answer at
 * once, to that socket), and listens on the announcement port for the original agents' periodic
 * broadcasts. Resolves with what was heard, in order, without duplicates; never rejects.
 */
export async function discoverLanCaches(options: DiscoveryOptions, logger: Logger): Promise<Heard[]> {
  const log = logger.child({ component: 'discovery' });
  const heard: Heard[] = [];
  const asker = await bindSocket(0, log);
  let grace: NodeJS.Timeout | null = null;
  let finish: (() => void) | null = null;
  const onMessage = (message: Buffer, rinfo: { address: string }) => {
    const a = parseAnnouncement(message.toString('utf8'));
    if (!a) return;
    if (!heard.some((h) => h.ip === a.ip && h.port === a.port)) {
      heard.push({ ...a, from: rinfo.address });
      log.info({ cache: `${a.ip}:${a.port}`, from: rinfo.address }, 'heard a LAN cache');
    }
    grace ??= setTimeout(() => finish?.(), options.graceMs ?? 250);
  };
  if (asker) {
    asker.on('message', onMessage);
    asker.setBroadcast(true);
    await new Promise<void>((resolve) =>
      asker.send(formatQuery(), options.port, options.queryAddress, (error) => {
        if (error) log.debug({ err: error.message, address: options.queryAddress }, 'LAN query not sent');
        resolve();
      }),
    );
  }
  // Listen only after querying: with SO_REUSEADDR a unicast datagram goes to the socket bound last, so an
  // agent on this very host would never see the query if our listener were already bound to its port.
  const listener = await bindSocket(options.port, log);
  listener?.on('message', onMessage);
  const sockets = [listener, asker].filter((s): s is Socket => s !== null);
  if (sockets.length === 0) return heard;

  return new Promise<Heard[]>((resolve) => {
    const timer = setTimeout(() => finish?.(), options.durationMs);
    finish = () => {
      finish = null;
      clearTimeout(timer);
      if (grace) clearTimeout(grace);
      for (const s of sockets) s.close();
      resolve(heard);
    };
    // An answer may have come while the listener was being bound.
    if (heard.length > 0) {
      if (grace) clearTimeout(grace);
      grace = setTimeout(() => finish?.(), options.graceMs ?? 250);
    }
  });
}
