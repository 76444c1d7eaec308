import { describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../../server/config.js';
import { parseRedisUrl } from '../../../server/registry/redis-url.js';

describe('--redis-url', () => {
  it.each([
    ['redis://127.0.0.1:6379', { kind: 'server', url: 'redis://127.0.0.1:6379' }],
    ['rediss://:pw@redis.example.org:6380/2', { kind: 'server', url: 'rediss://:pw@redis.example.org:6380/2' }],
    ['redis+sentinel://s1.example.org,s2.example.org:26380/mymaster', {
      kind: 'sentinel', sentinels: [{ host: 's1.example.org', port: 26379 }, { host: 's2.example.org', port: 26380 }], name: 'mymaster', db: 0,
    }],
    ['redis+sentinel://:p%40ss@127.0.0.1:26379/shoal/3', { kind: 'sentinel', sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'shoal', db: 3, password: 'p@ss' }],
    ['redis+sentinel://shoal:pw@[::1]:26379/mymaster/', { kind: 'sentinel', sentinels: [{ host: '::1', port: 26379 }], name: 'mymaster', db: 0, username: 'shoal', password: 'pw' }],
  ])('reads %s', (url, target) => {
    expect(parseRedisUrl(url)).toEqual(target);
  });

  it.each([
    ['http://redis', 'must start with'],
    ['redis+sentinel://s1:26379', 'master name'],
    ['redis+sentinel://s1:26379/', 'master name'],
    ['redis+sentinel://s1:99999/mymaster', 'not host[:port]'],
    ['redis+sentinel://s1,,s2/mymaster', 'not host[:port]'],
    ['redis+sentinel://s1/mymaster/x', 'not a number'],
    ['redis+sentinel://s1/mymaster/0/extra', 'at most a database'],
    ['redis+sentinel://s1/mymaster?sentinelPassword=x', 'no query'],
  ])('refuses %s', (url, message) => {
    const result = parseRedisUrl(url);
    expect(result).toHaveProperty('error');
    expect((result as { error: string }).error).toContain(message);
  });

  it('the server takes a Sentinel URL and names the problem in a bad one, without the password', () => {
    const url = 'redis+sentinel://:secret@s1:26379,s2:26379/mymaster/1';
    expect(loadServerConfig({ env: {}, flags: { redisUrl: url } }).redisUrl).toBe(url);
    expect(() => loadServerConfig({ env: {}, flags: { redisUrl: 'redis+sentinel://:secret@s1:26379' } })).toThrow(/master name/);
    expect(() => loadServerConfig({ env: {}, flags: { redisUrl: 'redis+sentinel://:secret@s1:26379' } })).not.toThrow(/secret/);
  });
});
