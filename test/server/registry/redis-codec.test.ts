import type { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyEntry } from '../../../server/render/legacy.js';
import { decodeEntry, encodeData, parseHashFields, parseRegistryEvent, type StoredEntry } from '../../../server/registry/redis-codec.js';
import { createRedisRegistry } from '../../../server/registry/redis.js';
import type { CacheEntry } from '../../../server/model/cache.js';
import { cacheView } from '../../../server/render/json.js';
import { systemClock } from '../../../shared/clock.js';
import { parseIpLiteral, parsePort, parseProxyHost } from '../../../shared/identity.js';
import { deleteKeys, testRedis, uniquePrefix } from '../../support/redis.js';
import { originalHeartbeat, waitFor } from '../../support/server.js';
import { REDIS_URL, redisAvailable } from '../../support/services.js';
import { cacheEntry, cacheLocation, parsedHeartbeat } from '../../support/cache-entry.js';

/**
 * What comes back from Redis was written by another process, maybe another version of Shoal that took
 * names and addresses as they came. It goes through the heartbeat schema again, so it comes back typed,
 * or not at all.
 */

/** Stored heartbeats as an older server (before typed identity) could have written them. */
const STALE_HEARTBEATS: [string, Record<string, unknown>][] = [
  ['a command in the hostname', { hostname: '$(touch${IFS}/tmp/x)' }],
  ['an extra CVMFS member', { hostname: 'evil|http://rogue.example:3128' }],
  ['an extra Frontier proxy', { hostname: 'x)(proxyurl=http://rogue.example:3128' }],
  ['PAC code', { hostname: "');alert(1);//" }],
  ['a userinfo trick', { hostname: '[x]@127.0.0.1:19050/.uvic.ca' }],
  ['a U+2028', { hostname: 'a\u2028b.example' }],
  ['a zone id with a comma', { public_ip: 'fe80::1%a,b' }],
  ['a zone id with markup', { external_ip: '::ffff:142.104.1.1%<script>,x' }],
  ['a zone id', { private_ip: 'fe80::1%eth0' }],
  ['a hex port', { cache_port: '0x50' }],
  ['port 0', { cache_port: 0 }],
  ['port 65536', { cache_port: '65536' }],
];

const LOCATION = cacheLocation();

function stored(heartbeat: Record<string, unknown>): StoredEntry {
  return { data: { heartbeat, location: LOCATION, signed_by: null }, active: 1, created: 1, verification: null };
}

function goodEntry(fields: Record<string, unknown> = {}): CacheEntry {
  const now = systemClock.now();
  return cacheEntry(parsedHeartbeat(originalHeartbeat(fields)), { location: LOCATION, createdMs: now, lastActiveMs: now });
}

describe('entries read back from Redis', () => {
  it('come back typed: canonical names, addresses and ports', () => {
    const hb = originalHeartbeat({ hostname: 'Squid.UVic.test.', public_ip: '::FFFF:142.104.1.1', private_ip: '2001:DB8::0:1', cache_port: '3128' });
    const decoded = decodeEntry(hb.uuid as string, stored(hb));
    if (!('entry' in decoded)) throw new Error(decoded.error);
    const typed = decoded.entry.heartbeat;
    expect(typed).toMatchObject({ hostname: 'squid.uvic.test', publicIp: '142.104.1.1', privateIp: '2001:db8::1', cachePort: 3128 });
    expect(parseProxyHost(typed.hostname)).toBe(typed.hostname);
    expect(parseIpLiteral(typed.publicIp)).toBe(typed.publicIp);
    expect(parsePort(typed.cachePort)).toBe(typed.cachePort);
  });

  it('round-trips what the server writes', () => {
    const e = goodEntry({ hostname: 'constructor', public_ip: '2001:db8::1' });
    const fields = parseHashFields([encodeData(e), String(e.lastActiveMs), String(e.createdMs), null]);
    if (fields === null || 'error' in fields) throw new Error('stored form does not parse');
    const decoded = decodeEntry(e.id, fields);
    expect('entry' in decoded && decoded.entry.heartbeat).toEqual(e.heartbeat);
  });

  it.each(STALE_HEARTBEATS)('refuse %s, saying which field and not echoing the value', (_what, fields) => {
    const hb = originalHeartbeat(fields);
    const decoded = decodeEntry(hb.uuid as string, stored(hb));
    expect('error' in decoded).toBe(true);
    const error = (decoded as { error: string }).error;
    expect(error).toMatch(new RegExp(`^stored heartbeat: ${Object.keys(fields)[0]}: `));
    for (const value of Object.values(fields)) if (typeof value === 'string' && value.length > 3) expect(error).not.toContain(value);
    const event = parseRegistryEvent(JSON.stringify({ op: 'put', id: hb.uuid, ...stored(hb) }));
    expect('error' in event).toBe(false); // the event's shape is fine: its heartbeat is what decodeEntry refuses
  });
});

const redis = await redisAvailable();

describe.runIf(redis)('Redis registry with entries an older version stored (real Redis)', () => {
  let inspector: Redis;
  const prefix = uniquePrefix();
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) }));
  const registry = () =>
    createRedisRegistry({ url: REDIS_URL, prefix, ttlMs: 60_000, resyncMs: 500, clientName: `${prefix}replica` }, { clock: systemClock, logger });

  beforeAll(() => {
    inspector = testRedis();
  });
  afterAll(async () => {
    await deleteKeys(inspector, prefix);
    await inspector.quit();
  });

  it('skips each with a warning, keeps the good one, and never hands a bad one to an output', async () => {
    const good = goodEntry({ hostname: 'good.uvic.test' });
    const ids: string[] = [];
    for (const [i, [, fields]] of STALE_HEARTBEATS.entries()) {
      const id = `stale${i}`;
      const hb = originalHeartbeat({ ...fields, uuid: id });
      await inspector.hset(`${prefix}cache:${id}`, { data: JSON.stringify({ heartbeat: hb, location: LOCATION, signed_by: null }), active: String(Date.now()), created: String(Date.now()) });
      await inspector.pexpire(`${prefix}cache:${id}`, 60_000);
      await inspector.sadd(`${prefix}ids`, id);
      ids.push(id);
    }
    const replica = registry();
    try {
      expect(await replica.waitLoaded(10_000)).toBe(true);
      await replica.put(good);
      // And the same stale entries announced as events, as an older replica would publish them.
      for (const [i, [, fields]] of STALE_HEARTBEATS.entries()) {
        const hb = originalHeartbeat({ ...fields, uuid: `event${i}` });
        await inspector.publish(`${prefix}events`, JSON.stringify({ op: 'put', id: hb.uuid, ...stored(hb) }));
      }
      await waitFor(() => lines.filter((l) => l.includes('does not parse')).length >= 2 * STALE_HEARTBEATS.length, { what: 'a warning per stale entry' });
      expect(replica.snapshot().map((e) => e.id)).toEqual([good.id]);
      for (const id of ids) expect(replica.get(id)).toBeUndefined();
      // What remains goes through every encoder without a throw.
      for (const e of replica.snapshot()) {
        expect(cacheView(e, Date.now()).proxy).toBe('http://good.uvic.test:3128');
        expect(() => legacyEntry(e, null)).not.toThrow();
      }
      const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string; id?: string; reason?: string });
      for (const id of ids) expect(warnings.some((w) => w.level === 40 && w.id === id && w.reason?.startsWith('stored heartbeat: '))).toBe(true);
    } finally {
      await replica.close();
    }
  });
});
