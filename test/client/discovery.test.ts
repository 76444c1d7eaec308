import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnnouncer, type Announcer } from '../../agent/announce.js';
import { discoverLanCaches } from '../../client/discovery.js';
import { createSilentLogger } from '../../shared/logger.js';
import { ip as ipLiteral, port as tcpPort } from '../support/identity.js';

const logger = createSilentLogger();

/** A free UDP port on loopback (tests never use the real 50000). */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

describe('LAN discovery on loopback', () => {
  let announcer: Announcer | null = null;
  afterEach(async () => {
    await announcer?.stop();
    announcer = null;
  });

  it('hears an original agent broadcast (fna349fn<ip>:<port>) while listening', async () => {
    const port = await freeUdpPort();
    const heard = discoverLanCaches({ durationMs: 5000, port, queryAddress: '127.0.0.1' }, logger);
    // Stand-in for an original agent: a plain socket sending the original datagram every 50 ms.
    const sender = createSocket('udp4');
    const timer = setInterval(() => sender.send('fna349fn10.1.2.3:3128', port, '127.0.0.1'), 50);
    try {
      expect(await heard).toEqual([{ ip: '10.1.2.3', port: 3128, from: '127.0.0.1' }]);
    } finally {
      clearInterval(timer);
      sender.close();
    }
  });

  it('gets an answer from our agent to its active query at once, without waiting for a broadcast', async () => {
    const port = await freeUdpPort();
    announcer = createAnnouncer({
      options: { port, address: '127.0.0.1', intervalMs: 0, form: 'short', bindAddress: '127.0.0.1' },
      current: () => ({ ip: ipLiteral('10.9.8.7'), port: tcpPort(3129), type: 'squid', upstream: 'cvmfs' }),
      logger,
    });
    await announcer.start();
    // durationMs is long: the test finishes quickly only because the answer ends the wait (grace period).
    const heard = await discoverLanCaches({ durationMs: 20_000, port, queryAddress: '127.0.0.1', graceMs: 50 }, logger);
    expect(heard).toEqual([{ ip: '10.9.8.7', port: 3129, type: 'squid', upstream: 'cvmfs', from: '127.0.0.1' }]);
  });

  it('announces periodically in the original short format', async () => {
    const port = await freeUdpPort();
    announcer = createAnnouncer({
      options: { port, address: '127.0.0.1', intervalMs: 100, form: 'short', bindAddress: '127.0.0.1' },
      current: () => ({ ip: ipLiteral('10.9.8.7'), port: tcpPort(3128) }),
      logger,
    });
    await announcer.start();
    // Bound after the agent's own socket on that port, so the (unicast, on loopback) announcements reach it.
    const listener = createSocket({ type: 'udp4', reuseAddr: true });
    const first = new Promise<string>((resolve) => listener.once('message', (m) => resolve(m.toString('utf8'))));
    await new Promise<void>((resolve) => listener.bind(port, '127.0.0.1', resolve));
    try {
      expect(await first).toBe('fna349fn10.9.8.7:3128');
    } finally {
      listener.close();
    }
  });

  it('hears nothing, and ends after its listening time, when no agent is there', async () => {
    const port = await freeUdpPort();
    expect(await discoverLanCaches({ durationMs: 200, port, queryAddress: '127.0.0.1' }, logger)).toEqual([]);
  });
});
