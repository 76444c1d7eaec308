import { describe, expect, it } from 'vitest';
import { parseFeed } from '../../../server/ingest/feed-format.js';

/** The feed's two forms, parsed entry by entry into the heartbeat's typed identity (pure). */
describe('parseFeed', () => {
  it.each([
    ['squid.example.org:3129', 'feed:squid.example.org:3129'],
    ['squid.example.org', 'feed:squid.example.org:3128'],
    ['SQUID.Example.org.:3128', 'feed:squid.example.org:3128'],
    ['http://squid.example.org:8080', 'feed:squid.example.org:8080'],
    ['192.0.2.7:3128', 'feed:192.0.2.7:3128'],
    ['[2001:db8::1]:3130', 'feed:2001:db8::1:3130'],
    ['[2001:db8::1]', 'feed:2001:db8::1:3128'],
    ['2001:db8::1', 'feed:2001:db8::1:3128'],
  ])('reads the WLCG member %s as %s', (member, id) => {
    const parsed = parseFeed({ 'squid.example.org': { ip: '192.0.2.1', proxies: [{ default: [member] }] } });
    expect(parsed).toMatchObject({ ok: true, format: 'worker-proxies', refused: [] });
    expect(parsed.ok && parsed.caches.map((c) => c.id)).toEqual([id]);
  });

  it.each([
    ['$(x):3128', 'host'],
    ['squid.example.org:0', 'port'],
    ['squid.example.org:3128;reboot', 'port'],
    ['squid example.org', 'host'],
    ['[fe80::1%eth0]:3128', 'host'],
    ['squid.example.org:0x50', 'port'],
  ])('refuses the WLCG member %s (%s), keeping the good one', (member, field) => {
    const parsed = parseFeed({ 'squid.example.org': { ip: '192.0.2.1', proxies: [{ default: [member, 'good.example.org'] }] } });
    expect(parsed.ok && parsed.caches.map((c) => c.id)).toEqual(['feed:good.example.org:3128']);
    expect(parsed.ok && parsed.refused.map((r) => [r.member, r.reason.split(':')[0]])).toEqual([[member, field]]);
  });

  it('skips DIRECT and disabled sites; an entry without proxies is its key on 3128 with its ip', () => {
    const parsed = parseFeed({
      'a.example.org': { ip: '192.0.2.1', names: ['SITE-A'] },
      'b.example.org': { ip: '192.0.2.2', proxies: [{ default: ['b.example.org', 'DIRECT'] }] },
      'c.example.org': { ip: '192.0.2.3', disabled: 'downtime' },
    });
    expect(parsed.ok && parsed.caches.map((c) => [c.id, c.heartbeat.publicIp, c.heartbeat.site])).toEqual([
      ['feed:a.example.org:3128', '192.0.2.1', 'SITE-A'],
      ['feed:b.example.org:3128', '192.0.2.2', 'b.example.org'],
    ]);
  });

  it('takes the list form with the heartbeat field names and defaults', () => {
    const parsed = parseFeed([{ hostname: 'squid.example.org', private_ip: '10.0.0.1', access: 'private', networks: ['10.0.0.0/8'], max_load: 5000 }]);
    expect(parsed.ok && parsed.caches[0]?.heartbeat).toMatchObject({
      uuid: 'feed:squid.example.org:3128',
      hostname: 'squid.example.org',
      cachePort: 3128,
      cacheType: 'squid',
      upstream: 'both',
      access: 'private',
      privateIp: '10.0.0.1',
      networks: ['10.0.0.0/8'],
      maxLoad: 5000,
      load: 0,
      verified: false,
      status: 'ok',
    });
  });

  it.each([
    ['a string', 'x'],
    ['a number', 3],
    ['null', null],
    ['a list of only bad entries', [{ hostname: '$(x)' }, { port: 3128 }]],
  ])('refuses %s whole (the caller keeps its last good list)', (_what, value) => {
    expect(parseFeed(value)).toMatchObject({ ok: false });
  });

  it('an empty list is a good list of none; a cache listed twice is listed once', () => {
    expect(parseFeed([])).toEqual({ ok: true, format: 'list', caches: [], refused: [] });
    const twice = parseFeed([{ hostname: 'a.example.org' }, { hostname: 'A.example.org', port: '3128' }]);
    expect(twice.ok && [twice.caches.length, twice.refused.length]).toEqual([1, 1]);
  });
});
