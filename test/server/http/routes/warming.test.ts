import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../support/clock.js';
import { addCache, getJson, PLACES } from '../../../support/app.js';
import { deleteKeys, testRedis, uniquePrefix } from '../../../support/redis.js';
import { startTestServer, type TestServer } from '../../../support/server.js';
import { REDIS_URL, redisAvailable } from '../../../support/services.js';
import { WARMING_NOTE } from '../../../../server/render/json.js';

const redis = await redisAvailable();

interface Ready {
  status: string;
  caches: number;
}
interface Nearest {
  note: string | null;
  caches: { id: string }[];
}

describe('warming after a start with the in-memory registry', () => {
  it('says warming (503) and notes the registry is filling until --warmup has passed, then ok', async () => {
    const clock = createManualClock(Date.UTC(2026, 11, 1, 12));
    const server = await startTestServer({ amqp: false, clock, flags: { warmup: 40 } });
    try {
      const early = await getJson<Ready>(server, '/readyz');
      expect(early.status).toBe(503);
      expect(early.body).toMatchObject({ status: 'warming', caches: 0 });
      expect(early.headers.get('cache-control')).toBe('no-store');
      const empty = await getJson<Nearest>(server, `/api/v1/nearest?ip=${PLACES.cern}`);
      expect(empty.body.caches).toEqual([]);
      expect(empty.body.note?.startsWith(WARMING_NOTE)).toBe(true);

      // A cache back already: still warming, and the note stays beside any other.
      clock.advance(20_000);
      const id = await addCache(server, { external_ip: PLACES.victoria, timestamp: clock.now() / 1000 });
      expect((await getJson<Ready>(server, '/readyz')).body).toMatchObject({ status: 'warming', caches: 1 });
      const filling = await getJson<Nearest>(server, `/api/v1/nearest?ip=${PLACES.cern}`);
      expect(filling.body.note?.startsWith(WARMING_NOTE)).toBe(true);
      expect(filling.body.caches.map((c) => c.id)).toEqual([id]);
      const unknownCaller = await getJson<Nearest>(server, '/api/v1/nearest?ip=10.9.9.9');
      expect(unknownCaller.body.note?.startsWith(`${WARMING_NOTE}; `)).toBe(true);

      clock.advance(19_999);
      expect((await getJson<Ready>(server, '/readyz')).status).toBe(503);
      clock.advance(1);
      const ready = await getJson<Ready>(server, '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('ok');
      expect((await getJson<Nearest>(server, `/api/v1/nearest?ip=${PLACES.cern}`)).body.note ?? '').not.toContain(WARMING_NOTE);
    } finally {
      await server.stop();
    }
  });

  it('is off with --warmup 0', async () => {
    const server = await startTestServer({ amqp: false, flags: { warmup: 0 } });
    try {
      expect((await getJson<Ready>(server, '/readyz')).body.status).toBe('ok');
    } finally {
      await server.stop();
    }
  });

  it('defaults to 40 s: the agents\' 30 s interval, its 10% jitter and a margin', async () => {
    const { loadServerConfig } = await import('../../../../server/config.js');
    expect(loadServerConfig({ env: {}, flags: {} }).warmup).toBe(40);
  });
});

describe.runIf(redis)('a Redis replica that loaded the shared registry', () => {
  let inspector: Redis | undefined;
  let server: TestServer | undefined;
  const prefix = uniquePrefix();
  afterAll(async () => {
    await server?.stop();
    if (inspector) {
      await deleteKeys(inspector, prefix);
      await inspector.quit();
    }
  });

  it('is not warming: it has the shared registry', async () => {
    inspector = testRedis();
    const clock = createManualClock(Date.now());
    server = await startTestServer({ amqp: false, clock, flags: { warmup: 40, redisUrl: REDIS_URL, redisPrefix: prefix } });
    const ready = await getJson<Ready>(server, '/readyz');
    expect(ready.body.status).not.toBe('warming');
    expect(ready.status).toBe(200);
    expect((await getJson<Nearest>(server, `/api/v1/nearest?ip=${PLACES.cern}`)).body.note ?? '').not.toContain(WARMING_NOTE);
  });
});
