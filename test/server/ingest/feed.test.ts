import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addCache, getJson, PLACES } from '../../support/app.js';
import { createManualClock, type ManualClock } from '../../support/clock.js';
import { originalHeartbeat, startTestServer, waitFor, type TestServer } from '../../support/server.js';
import { makeTempDir } from '../../support/temp.js';
import { systemClock } from '../../../shared/clock.js';

/**
 * The operator feed (--feed): caches that run no agent, from a file or a URL, in our list form or WLCG
 * WPAD's worker-proxies.json, listed, located, ranked and marked like the others, never expiring while
 * listed, gone when no longer listed; a feed that cannot be read or parsed keeps the last good list.
 */

interface Logged {
  level: number;
  msg: string;
  entry?: string;
  member?: string;
  reason?: string;
}
interface CacheJson {
  id: string;
  hostname: string;
  port: number;
  source: string;
  site: string | null;
  public_ip: string | null;
  location: { city: string | null; source: string } | null;
}

const TTL_S = 180;

/** Our list form: a cache at Victoria, one at CERN, one named only, with coordinates (Tokyo). */
const LIST = [
  { hostname: 'squid.uvic.example', port: 3128, public_ip: PLACES.victoria, site: 'UVIC', networks: ['142.104.0.0/16'] },
  { hostname: 'squid.cern.example', port: '3129', public_ip: PLACES.cern, upstream: 'cvmfs' },
  { hostname: 'named.tokyo.example', latitude: 35.7, longitude: 139.7 },
];

/**
 * worker-proxies.json as WLCG WPAD's wlcg_wpad.py reads it (its repository ships no sample): keyed by a
 * site's registered squid; `ip` its address; `proxies` groups of `host[:port]` members with `ipranges`;
 * no `proxies`: the key on 3128; `disabled`: no proxies at all.
 */
const WORKER_PROXIES = {
  'squid.uvic.example': {
    ip: PLACES.victoria,
    names: ['UVIC-HEP'],
    proxies: [{ default: ['squid.uvic.example:3128', 'squid2.uvic.example'], ipranges: ['142.104.0.0/16'] }],
  },
  'squid.cern.example': { ip: PLACES.cern, names: ['CERN-PROD'] },
  'squid.off.example': { ip: PLACES.tokyo, names: ['OFF'], disabled: 'site in downtime' },
};

function recordingLogger() {
  const lines: Logged[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Logged) });
  return { logger, lines };
}

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('shoal-feed-');
});

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function startWithFeed(feed: string, clock: ManualClock = createManualClock(Date.now())) {
  const { logger, lines } = recordingLogger();
  server = await startTestServer({ amqp: false, clock, logger, flags: { feed, feedInterval: 3600, cacheTtl: TTL_S } });
  return { server, clock, lines };
}

async function writeFeed(value: unknown, name = 'feed.json'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

async function caches(s: TestServer): Promise<CacheJson[]> {
  return (await getJson<{ caches: CacheJson[] }>(s, '/api/v1/caches')).body.caches;
}

/** Moves the clock past the TTL in steps of TTL/3, refreshing the feed at each as its timer does, then sweeps. */
async function outliveTtl(s: TestServer, clock: ManualClock) {
  for (let i = 0; i < 4; i++) {
    clock.advance((TTL_S * 1000) / 3);
    await s.feed!.refresh();
  }
  await s.registry.sweep();
}

describe('an operator feed in our list form', () => {
  it('lists its caches with source feed, located, and ranks them in /api/v1/nearest', async () => {
    const { server: s } = await startWithFeed(await writeFeed(LIST, 'list.json'));
    const listed = await caches(s);
    expect(listed.map((c) => [c.id, c.source, c.port])).toEqual([
      ['feed:named.tokyo.example:3128', 'feed', 3128],
      ['feed:squid.cern.example:3129', 'feed', 3129],
      ['feed:squid.uvic.example:3128', 'feed', 3128],
    ]);
    expect(listed.find((c) => c.hostname === 'squid.uvic.example')?.location).toMatchObject({ source: 'geoip' });
    expect(listed.find((c) => c.hostname === 'named.tokyo.example')?.location).toMatchObject({ source: 'declared' });

    const near = await getJson<{ caches: (CacheJson & { local: boolean })[] }>(s, `/api/v1/nearest?ip=${PLACES.cern}&count=3`);
    expect(near.body.caches.map((c) => [c.hostname, c.source])).toEqual([
      ['squid.cern.example', 'feed'],
      ['squid.uvic.example', 'feed'],
      ['named.tokyo.example', 'feed'],
    ]);
    // Inside the site the feed declares: its cache first, as for an agent's.
    const local = await getJson<{ caches: (CacheJson & { local: boolean })[] }>(s, `/api/v1/nearest?ip=142.104.9.9&count=1`);
    expect(local.body.caches.map((c) => [c.hostname, c.local])).toEqual([['squid.uvic.example', true]]);
    // The status page marks them.
    const page = await (await s.app.request('/')).text();
    expect(page).toContain('class="badge feed"');
  });

  it('never expires while listed (a clock past the TTL), while an agent that stopped beating does', async () => {
    const { server: s, clock } = await startWithFeed(await writeFeed(LIST, 'ttl.json'));
    const agent = await addCache(s, { hostname: 'agent.example', public_ip: PLACES.tokyo });
    await outliveTtl(s, clock);
    const listed = await caches(s);
    expect(listed.map((c) => c.hostname).sort()).toEqual(['named.tokyo.example', 'squid.cern.example', 'squid.uvic.example']);
    expect(s.registry.get(agent)).toBeUndefined();
  });

  it('is kept alive by its own timer, every third of the TTL (real clock, 1 s TTL, 1 s sweeps)', async () => {
    const { logger } = recordingLogger();
    server = await startTestServer({ amqp: false, clock: systemClock, logger, flags: { feed: await writeFeed(LIST, 'timer.json'), cacheTtl: 1, cleanupInterval: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await server.registry.sweep();
    expect((await caches(server)).length).toBe(3);
  });

  it('drops a cache the file stops listing; a broken file keeps the last good list (logged), which stays alive', async () => {
    const path = await writeFeed(LIST, 'change.json');
    const { server: s, clock, lines } = await startWithFeed(path);
    await writeFeed(LIST.slice(1), 'change.json');
    expect(await s.feed!.reload()).toBe(true);
    expect((await caches(s)).map((c) => c.hostname).sort()).toEqual(['named.tokyo.example', 'squid.cern.example']);
    expect(lines.some((l) => l.msg === 'cache left (no longer in the feed)')).toBe(true);

    for (const broken of ['[{"hostname": "squid.cern.example"', '"just a string"', JSON.stringify([{ hostname: '$(x)' }])]) {
      await writeFeed(broken, 'change.json');
      expect(await s.feed!.reload()).toBe(false);
      expect((await caches(s)).map((c) => c.hostname).sort()).toEqual(['named.tokyo.example', 'squid.cern.example']);
    }
    expect(lines.filter((l) => l.level === 40 && l.msg.endsWith('keeping the last good list')).length).toBe(3);
    await outliveTtl(s, clock);
    expect((await caches(s)).length).toBe(2);
  });

  it('follows a file replaced by a rename, without a call (watched like the GeoIP file)', async () => {
    const path = await writeFeed(LIST, 'watched.json');
    const { logger } = recordingLogger();
    server = await startTestServer({ amqp: false, logger, flags: { feed: path, feedInterval: 0.1 } });
    const next = join(dir, 'watched.next');
    await writeFile(next, JSON.stringify(LIST.slice(0, 1)));
    await rename(next, path);
    const s = server;
    await waitFor(async () => (await caches(s)).length === 1, { what: 'the renamed feed to be read' });
  });

  it('refuses a hostile entry with a log, and lists the good ones', async () => {
    const hostile = [{ hostname: '$(x)', port: 3128 }, { hostname: 'ok.example', port: 70000 }, ...LIST];
    const { server: s, lines } = await startWithFeed(await writeFeed(hostile, 'hostile.json'));
    expect((await caches(s)).map((c) => c.hostname).sort()).toEqual(['named.tokyo.example', 'squid.cern.example', 'squid.uvic.example']);
    const refused = lines.filter((l) => l.msg === 'feed entry refused');
    expect(refused.map((l) => [l.entry, l.reason?.split(':')[0]])).toEqual([
      ['0', 'hostname'],
      ['1', 'port'],
    ]);
  });

  it('a heartbeat cannot take over a feed cache, nor use the feed\'s id space', async () => {
    const { server: s } = await startWithFeed(await writeFeed(LIST, 'takeover.json'));
    for (const uuid of ['feed:squid.uvic.example:3128', 'FEED:squid.uvic.example:3128', 'feed:new.example:1']) {
      const result = await s.ingest.handle(originalHeartbeat({ uuid, hostname: 'evil.example', timestamp: s.clock.now() / 1000 }));
      expect(result).toMatchObject({ ok: false });
    }
    const uvic = (await caches(s)).filter((c) => c.id.startsWith('feed:squid.uvic'));
    expect(uvic.map((c) => c.hostname)).toEqual(['squid.uvic.example']);
    expect(s.registry.get('feed:new.example:1')).toBeUndefined();
  });
});

describe("an operator feed in WLCG WPAD's worker-proxies.json form", () => {
  it('lists every member of every enabled site, located at its address or its site\'s', async () => {
    const { server: s, clock } = await startWithFeed(await writeFeed(WORKER_PROXIES, 'worker-proxies.json'));
    const listed = await caches(s);
    expect(listed.map((c) => [c.id, c.source, c.site, c.public_ip])).toEqual([
      ['feed:squid.cern.example:3128', 'feed', 'CERN-PROD', PLACES.cern],
      ['feed:squid.uvic.example:3128', 'feed', 'UVIC-HEP', PLACES.victoria],
      ['feed:squid2.uvic.example:3128', 'feed', 'UVIC-HEP', null],
    ]);
    expect(listed[1]?.location).toMatchObject({ source: 'geoip', city: 'Victoria' });
    // Known by name only: at the coordinates GeoIP gives its site's registered squid.
    expect(listed[2]?.location).toMatchObject({ source: 'declared' });
    const near = await getJson<{ caches: CacheJson[] }>(s, `/api/v1/nearest?ip=${PLACES.cern}&count=3`);
    expect(near.body.caches.map((c) => c.hostname)).toEqual(['squid.cern.example', 'squid.uvic.example', 'squid2.uvic.example']);
    await outliveTtl(s, clock);
    expect((await caches(s)).length).toBe(3);
  });

  it('refuses a hostile key or member with a log, and lists the good ones', async () => {
    const feed = {
      ...WORKER_PROXIES,
      '$(x)': { ip: PLACES.tokyo },
      'squid.tokyo.example': { ip: PLACES.tokyo, proxies: [{ default: ['$(reboot):3128', 'squid.tokyo.example:3128;rm', 'good.tokyo.example:8080'] }] },
    };
    const { server: s, lines } = await startWithFeed(await writeFeed(feed, 'hostile-wlcg.json'));
    expect((await caches(s)).map((c) => c.id)).toEqual([
      'feed:good.tokyo.example:8080',
      'feed:squid.cern.example:3128',
      'feed:squid.uvic.example:3128',
      'feed:squid2.uvic.example:3128',
    ]);
    const refused = lines.filter((l) => l.msg === 'feed entry refused').map((l) => [l.entry, l.member]);
    expect(refused).toEqual([
      ['$(x)', '$(x)'],
      ['squid.tokyo.example', '$(reboot):3128'],
      ['squid.tokyo.example', 'squid.tokyo.example:3128;rm'],
    ]);
  });
});

describe('an operator feed at an HTTP URL', () => {
  let origin: Server;
  let url: string;
  let body = JSON.stringify(LIST);
  let status = 200;
  let requests = 0;

  beforeAll(async () => {
    origin = createServer((_req, res) => {
      requests++;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/worker-proxies.json`;
  });
  afterAll(async () => new Promise((resolve) => origin.close(resolve)));

  it('lists what the URL serves, follows its changes, and keeps the last good list when it fails', async () => {
    const { server: s, lines } = await startWithFeed(url);
    expect((await caches(s)).map((c) => c.source)).toEqual(['feed', 'feed', 'feed']);

    body = JSON.stringify(WORKER_PROXIES);
    expect(await s.feed!.reload()).toBe(true);
    expect((await caches(s)).map((c) => c.hostname)).toEqual(['squid.cern.example', 'squid.uvic.example', 'squid2.uvic.example']);

    status = 503;
    const before = requests;
    expect(await s.feed!.reload()).toBe(false);
    expect(requests).toBe(before + 1);
    expect((await caches(s)).length).toBe(3);
    expect(lines.some((l) => l.msg === 'feed could not be read; keeping the last good list')).toBe(true);
  });

  it('is read again every --feed-interval', async () => {
    status = 200;
    body = JSON.stringify(LIST);
    const { logger } = recordingLogger();
    server = await startTestServer({ amqp: false, logger, flags: { feed: url, feedInterval: 0.1 } });
    const s = server;
    expect((await caches(s)).length).toBe(3);
    body = JSON.stringify(LIST.slice(0, 2));
    await waitFor(async () => (await caches(s)).length === 2, { what: 'the URL to be read again' });
  });
});
