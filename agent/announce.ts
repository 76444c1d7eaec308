import { createSocket, type Socket } from 'node:dgram';
import { formatAnnouncement, isQuery, type Announcement, type AnnouncementForm } from '../shared/announce.js';
import type { Logger } from '../shared/logger.js';

export interface AnnouncerOptions {
  /** UDP port clients listen on (original: 50000); the announcer also answers queries on it. */
  port: number;
  /** Where periodic announcements go: a broadcast address (original: `<broadcast>`) or a host. */
  address: string;
  /** Milliseconds between announcements; 0 sends none and only answers queries. */
  intervalMs: number;
  /** Form of the periodic broadcast; query answers are always `long` (only our clients query). */
  form: AnnouncementForm;
  /** Address to bind the listening socket to. */
  bindAddress: string;
}

export interface Announcer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sends one announcement now; resolves false when there is nothing to announce or sending failed. */
  announce(): Promise<boolean>;
}

/**
 * Announces the local cache on the LAN as the original agent does, so original clients find it, and
 * answers our clients' active query at once. `current` returns null while the cache should not be
 * advertised (e.g. it fails its self-check), as the original only announces while Squid is available.
 */
export function createAnnouncer(deps: { options: AnnouncerOptions; current: () => Announcement | null; logger: Logger }): Announcer {
  const { options, current } = deps;
  const log = deps.logger.child({ component: 'announce' });
  // Two sockets, as the original sends from port 0: `listener` holds the well-known port for queries,
  // `sender` sends. With SO_REUSEADDR a unicast datagram goes to the socket bound last, so sending from
  // the well-known port would make an agent deliver announcements to itself on a shared host.
  let listener: Socket | null = null;
  let sender: Socket | null = null;
  let timer: NodeJS.Timeout | null = null;

  const send = (text: string, port: number, address: string) =>
    new Promise<boolean>((resolve) => {
      if (!sender) return resolve(false);
      sender.send(text, port, address, (error) => {
        if (error) log.debug({ err: error.message, address, port }, 'announcement not sent');
        resolve(!error);
      });
    });

  const announce = async () => {
    const a = current();
    return a ? send(formatAnnouncement(a, options.form), options.port, options.address) : false;
  };

  return {
    announce,
    async start() {
      if (listener) return;
      const l = createSocket({ type: 'udp4', reuseAddr: true });
      const out = createSocket({ type: 'udp4' });
      listener = l;
      sender = out;
      l.on('message', (message, rinfo) => {
        if (!isQuery(message.toString('utf8'))) return;
        const a = current();
        if (!a) return;
        log.debug({ from: `${rinfo.address}:${rinfo.port}` }, 'answering a client query');
        void send(formatAnnouncement(a, 'long'), rinfo.port, rinfo.address);
      });
      for (const s of [l, out]) s.on('error', (error) => log.warn({ err: error.message }, 'announce socket error'));
      await Promise.all([bindUdp(l, options.port, options.bindAddress), bindUdp(out, 0, options.bindAddress)]);
      out.setBroadcast(true);
      log.info({ port: options.port, address: options.address, intervalMs: options.intervalMs }, 'announcing on the LAN');
      if (options.intervalMs > 0) {
        void announce();
        timer = setInterval(() => void announce(), options.intervalMs);
      }
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      const sockets = [listener, sender].filter((x): x is Socket => x !== null);
      listener = null;
      sender = null;
      await Promise.all(sockets.map((x) => new Promise<void>((resolve) => x.close(() => resolve()))));
    },
  };
}

function bindUdp(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
