import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../../shared/clock.js';
import { deleteKeys, redisAddress, testRedis, uniquePrefix } from '../../../support/redis.js';
import { startTestServer, waitFor, type TestServer } from '../../../support/server.js';
import { redisAvailable } from '../../../support/services.js';
import { startTcpProxy } from '../../../support/tcp-proxy.js';

const redis = await redisAvailable();

describe('/readyz', () => {
  it('is ok with the in-memory registry', async () => {
    const server = await startTestServer({ amqp: false });
    try {
      const response = await fetch(`${server.url}/readyz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ok', registry: { status: 'ok', backend: 'memory' }, amqp: 'disabled' });
    } finally {
      await server.stop();
    }
  });
});

describe.runIf(redis)('/readyz with a Redis registry', () => {
  let inspector: Redis;
  const prefix = uniquePrefix();
  let server: TestServer | undefined;

  afterAll(async () => {
    await server?.stop();
    if (inspector) {
      await deleteKeys(inspector, prefix);
      await inspector.quit();
    }
  });

  it('says unready (503) while a replica that started with Redis away has no view, then ok once Redis answers', async () => {
    inspector = testRedis();
    const proxy = await startTcpProxy(redisAddress());
    try {
      await proxy.block();
      // Start-up waits a few seconds for Redis, then serves anyway.
      server = await startTestServer({ amqp: false, clock: systemClock, flags: { redisUrl: `redis://127.0.0.1:${proxy.port}`, redisPrefix: prefix } });
      const unready = await fetch(`${server.url}/readyz`);
      expect(unready.status).toBe(503);
      expect(await unready.json()).toMatchObject({ status: 'unready', registry: { status: 'loading', backend: 'redis' } });

      await proxy.unblock();
      const url = server.url;
      // 200 comes first with 'degraded' (the view is loaded, the event subscription still reconnecting); wait for 'ok'.
      const ready = async () => {
        const response = await fetch(`${url}/readyz`);
        const body = (await response.json()) as { status: string };
        return response.status === 200 && body.status === 'ok' ? body : null;
      };
      const body = await waitFor(ready, { what: 'the replica to load its view and be in step with Redis', timeoutMs: 15_000 });
      expect(body).toMatchObject({ status: 'ok', registry: { status: 'ok', backend: 'redis' } });
    } finally {
      await server?.stop();
      server = undefined;
      await proxy.close();
    }
  });
});
