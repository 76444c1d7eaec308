import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../shared/logger.js';
import { openGeoIp, bundledGeoIpPath } from '../../../server/geo/geoip.js';
import { createFeed } from '../../../server/ingest/feed.js';
import { createMemoryRegistry } from '../../../server/registry/memory.js';
import { planProbe } from '../../../server/verification/probe-policy.js';
import { createVerifier } from '../../../server/verification/verifier.js';
import { cacheEntry, parsedHeartbeat } from '../../support/cache-entry.js';
import { createManualClock } from '../../support/clock.js';
import { originalHeartbeat } from '../../support/server.js';

/** A loopback "cache" answering like a good CVMFS proxy, counting connections: the proof of a probe. */
let listener: Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  listener = createServer((_req, res) => res.end('Natlas.cern.ch\n'));
  listener.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(async () => new Promise((resolve) => listener.close(resolve)));

describe('caches from the operator feed are verified as operator-declared', () => {
  it('probes a feed cache on a loopback address (an agent\'s there is not probed), and it passes', async () => {
    const clock = createManualClock();
    const registry = createMemoryRegistry({ ttlMs: 180_000, clock });
    const geoip = await openGeoIp(bundledGeoIpPath(), createSilentLogger());
    const feed = createFeed({
      options: { source: 'feed.json', intervalMs: 60_000, ttlMs: 180_000, maxCaches: 100 },
      logger: createSilentLogger(),
      registry,
      geoip,
      clock,
      read: async () => JSON.stringify([{ hostname: '127.0.0.1', port, latitude: 48.4, longitude: -123.3 }]),
    });
    expect(await feed.reload()).toBe(true);
    const id = `feed:127.0.0.1:${port}`;
    const listed = registry.get(id)!;
    const plan = await planProbe(listed, null, async () => [], 'hostname', 1000);
    expect(plan).toMatchObject({ probe: true, targets: [{ host: '127.0.0.1', port, grounds: 'feed' }] });

    // The same address in an unsigned heartbeat is not the operator's word.
    const agent = cacheEntry(parsedHeartbeat(originalHeartbeat({ uuid: 'agent1', hostname: '127.0.0.1', cache_port: String(port), external_ip: null, private_ip: null })));
    expect(await planProbe(agent, null, async () => [], 'hostname', 1000)).toMatchObject({ probe: false, cls: 'not_probed' });

    const verifier = createVerifier({
      registry,
      clock,
      logger: createSilentLogger(),
      options: { urls: ['http://s1.test/cvmfs/atlas.cern.ch/.cvmfspublished'], intervalMs: 60_000, timeoutMs: 1000, concurrency: 4, joinRate: 20, advertise: 'hostname' },
      coverage: null,
    });
    const before = connections;
    expect(await verifier.runOnce()).toMatchObject({ checked: 1, passed: 1 });
    expect(connections - before).toBe(1);
    expect(registry.get(id)?.verification?.ok).toBe(true);
    // A refresh keeps what the check found.
    clock.advance(60_000);
    await feed.refresh();
    expect(registry.get(id)?.verification?.ok).toBe(true);
  });
});
