import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../shared/clock.js';
import { createSilentLogger } from '../../shared/logger.js';
import { bundledGeoIpPath, openGeoIp } from '../../server/geo/geoip.js';
import { createFeed } from '../../server/ingest/feed.js';
import { cacheSource } from '../../server/model/cache.js';
import { PLACES } from '../support/app.js';
import { redisReplicaSet } from '../support/redis.js';
import { waitFor } from '../support/server.js';
import { redisAvailable } from '../support/services.js';

const redis = await redisAvailable();

/** Feed caches in the shared registry: stored and read back through the heartbeat schema, as every entry. */
describe.runIf(redis)('the operator feed with a Redis registry (real Redis)', () => {
  const replicas = redisReplicaSet({ resyncMs: 500 });
  afterAll(() => replicas.close());

  it('lists its caches for every replica (an IPv6 one too), and removes them for every replica when no longer listed', async () => {
    const a = await replicas.replica();
    const b = await replicas.replica();
    let text = JSON.stringify([
      { hostname: 'squid.uvic.example', public_ip: PLACES.victoria },
      { hostname: '2001:db8::7', port: 8080, latitude: 46.2, longitude: 6.1 },
      { hostname: `${'a'.repeat(63)}.${'b'.repeat(63)}.example` },
    ]);
    const feed = createFeed({
      options: { source: 'https://feed.example/list.json', intervalMs: 60_000, ttlMs: 60_000, maxCaches: 100 },
      logger: createSilentLogger(),
      registry: a,
      geoip: await openGeoIp(bundledGeoIpPath(), createSilentLogger()),
      clock: systemClock,
      read: async () => text,
    });
    expect(await feed.reload()).toBe(true);
    // The name too long for an id is refused rather than stored where no replica could read it back.
    expect(feed.listed()).toBe(2);
    await waitFor(() => b.snapshot().length === 2, { what: 'replica b to see the feed caches' });
    expect(b.snapshot().map((e) => [e.id, cacheSource(e)]).sort()).toEqual([
      ['feed:2001:db8::7:8080', 'feed'],
      ['feed:squid.uvic.example:3128', 'feed'],
    ]);
    expect(b.get('feed:squid.uvic.example:3128')?.location?.city).toBe('Victoria');

    text = JSON.stringify([{ hostname: 'squid.uvic.example', public_ip: PLACES.victoria }]);
    expect(await feed.reload()).toBe(true);
    await waitFor(() => b.snapshot().length === 1, { what: 'replica b to lose the unlisted cache' });
    feed.stop();
  });
});
