import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../support/clock.js';
import { deleteKeys, testRedis, uniquePrefix } from '../support/redis.js';
import { signed, uvicHeartbeat, writeKeyringFile } from '../support/security.js';
import { startTestServer, waitFor, type TestServer } from '../support/server.js';
import { REDIS_URL, redisAvailable, uniqueName } from '../support/services.js';

const redis = await redisAvailable();

/** `shoal_heartbeats_total` rejections of one server with this reason. */
const rejections = async (server: TestServer, reason: string) =>
  (await server.metrics.heartbeats.get()).values.find((v) => v.labels.result === 'rejected' && v.labels.reason === reason)?.value ?? 0;

const WINDOW_S = 30;

/*
 * Two in-process server replicas sharing the real Redis (a key prefix of the test's own) and one manual
 * clock; messages go straight to each replica's ingest, as a shared queue would hand them out: whichever
 * replica a copy reaches, it must be refused once the first copy was taken.
 */
describe.runIf(redis)('replay protection across Redis replicas (real Redis)', () => {
  const prefix = uniquePrefix();
  const clock = createManualClock(Date.now());
  let inspector: Redis;
  let keyringFile: string;
  const servers: TestServer[] = [];
  const replica = async () => {
    const flags = { redisUrl: REDIS_URL, redisPrefix: prefix, signatureMode: 'required', keyringFile, signatureWindow: WINDOW_S };
    const server = await startTestServer({ amqp: false, clock, flags });
    servers.push(server);
    return server;
  };
  const send = (server: TestServer, message: unknown) => server.ingest.handle(Buffer.from(JSON.stringify(message)));

  beforeAll(async () => {
    inspector = testRedis();
    keyringFile = await writeKeyringFile();
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await deleteKeys(inspector, prefix);
    await inspector.quit();
  });

  it('takes a signed heartbeat sent to both replicas once, however the copies are spread', async () => {
    const [a, b] = [await replica(), await replica()];
    const uuid = uniqueName('replayed').replaceAll('-', '');
    const message = signed(uvicHeartbeat(uuid, clock.now()), 'uvic', 1);
    const results = [];
    for (let i = 0; i < 11; i++) results.push(await send(i % 2 ? a : b, message));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect((await rejections(a, 'replay')) + (await rejections(b, 'replay'))).toBe(10);
    // Sent at the same moment to both: still one.
    const next = signed(uvicHeartbeat(uuid, clock.now(), { load: 1 }), 'uvic', 2);
    const together = await Promise.all([send(a, next), send(b, next)]);
    expect(together.filter((r) => r.ok)).toHaveLength(1);
    // The ledger entry lives no longer than it is needed: two windows.
    expect(await inspector.pttl(`${prefix}seq:uvic/${uuid}`)).toBeLessThanOrEqual(2 * WINDOW_S * 1000);
  });

  it('after a signed goodbye, refuses the heartbeat before it on both replicas, and on a replica started since', async () => {
    const [a, b] = [await replica(), await replica()];
    const uuid = uniqueName('goodbye').replaceAll('-', '');
    const before = signed(uvicHeartbeat(uuid, clock.now()), 'uvic', 10);
    expect(await send(a, before)).toEqual({ ok: true, event: 'joined' });
    await waitFor(() => b.registry.get(uuid), { what: 'b to see the cache' });

    clock.advance(2_000);
    expect(await send(b, signed(uvicHeartbeat(uuid, clock.now(), { status: 'leaving' }), 'uvic', 11))).toEqual({ ok: true, event: 'goodbye' });
    await waitFor(() => !a.registry.get(uuid), { what: 'a to see the goodbye' });

    clock.advance(2_000); // still well within the window of the captured heartbeat
    for (const server of [a, b]) {
      expect(await send(server, before)).toMatchObject({ ok: false, reason: expect.stringContaining('seq 10 is not above the last seen 11') });
      expect(await rejections(server, 'replay')).toBe(1);
    }
    const c = await replica(); // a replica (re)started after all this knows it too: the state is in Redis
    expect((await send(c, before)).ok).toBe(false);
    expect(await rejections(c, 'replay')).toBe(1);
    for (const server of [a, b, c]) expect(server.registry.get(uuid)).toBeUndefined();

    // The agent itself, starting again, goes on with a higher seq and is listed again.
    expect(await send(c, signed(uvicHeartbeat(uuid, clock.now()), 'uvic', 12))).toEqual({ ok: true, event: 'joined' });
  });
});

describe('replay protection of an in-memory server across a restart', () => {
  it('a new server instance refuses a message stamped before it started, and takes the agent\'s next one', async () => {
    const keyringFile = await writeKeyringFile();
    const clock = createManualClock(Date.UTC(2026, 5, 1));
    const flags = { signatureMode: 'required', keyringFile, signatureWindow: WINDOW_S };
    const send = (server: TestServer, message: unknown) => server.ingest.handle(Buffer.from(JSON.stringify(message)));

    const first = await startTestServer({ amqp: false, clock, flags });
    const heartbeat = signed(uvicHeartbeat('restarted', clock.now()), 'uvic', 1);
    const goodbye = signed(uvicHeartbeat('restarted', clock.now() + 1_000, { status: 'leaving' }), 'uvic', 2);
    expect((await send(first, heartbeat)).ok).toBe(true);
    clock.advance(1_000);
    expect(await send(first, goodbye)).toEqual({ ok: true, event: 'goodbye' });
    await first.stop(); // as after kill -9: nothing of its replay state survives

    clock.advance(3_000); // both captured messages are still within the window
    const second = await startTestServer({ amqp: false, clock, flags });
    try {
      for (const captured of [heartbeat, goodbye]) expect((await send(second, captured)).ok).toBe(false);
      expect(await rejections(second, 'before_start')).toBe(2);
      expect(second.registry.get('restarted')).toBeUndefined();
      // Rule (server/ingest/replay.ts): stamped before the start is refused; from the start on, the window decides.
      expect((await send(second, signed(uvicHeartbeat('restarted', clock.now()), 'uvic', 3))).ok).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
