import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asciiJson } from '../../../server/render/ascii-json.js';
import { legacyBody, legacyBodyText, legacyEntry } from '../../../server/render/legacy.js';
import type { Caller, RankedCache } from '../../../server/lookup/nearest.js';
import { buildTemplate, fillTemplate, JSON_FIELDS, PYTHON_FIELDS } from '../../../server/render/template.js';
import { PyFloat, pyDumps, type PyValue } from '../../../server/render/python-json.js';
import type { CacheEntry } from '../../../server/model/cache.js';
import { createViewCache } from '../../../server/render/view-cache.js';
import { callerView, nearestJson, rankedView, WARMING_NOTE } from '../../../server/render/json.js';
import type { GeoRecord } from '../../../server/geo/geoip.js';
import { cacheLocation } from '../../support/cache-entry.js';
import { pacBody, pacFile, pacProxyOf } from '../../../server/render/pac.js';
import type { ManualClock } from '../../support/clock.js';
import { addCache, PLACES, startAppServer } from '../../support/app.js';
import type { TestServer } from '../../support/server.js';
import { host } from '../../support/identity.js';

describe('object templates', () => {
  const obj = { a: 1, b: 'x,"y"', c: null, skip: undefined, d: [1, { e: true }], f: 2.5, g: 'Zürich' };

  it.each([
    ['JSON', JSON_FIELDS, (o: object) => asciiJson(JSON.stringify(o))],
    ['Python', PYTHON_FIELDS, (o: object) => pyDumps(JSON.parse(JSON.stringify(o)) as never)],
  ] as const)('%s: filling the holes gives what serialising the whole object gives', (_name, syntax, whole) => {
    const template = buildTemplate(obj, ['b', 'f'], syntax);
    expect(template.parts).toHaveLength(3);
    const changed = { ...obj, b: 'other', f: 7 };
    expect(fillTemplate(template, [syntax.value('other'), syntax.value(7)])).toBe(whole(changed));
    expect(fillTemplate(buildTemplate(obj, [], syntax), [])).toBe(whole(obj));
    expect(fillTemplate(buildTemplate({ a: 1 }, ['a'], syntax), [syntax.value(2)])).toBe(whole({ a: 2 }));
  });

  it('refuses holes that are missing or out of order (a view changed shape)', () => {
    expect(() => buildTemplate(obj, ['f', 'b'], JSON_FIELDS)).toThrow(/comes before hole/);
    expect(() => buildTemplate(obj, ['zzz'], JSON_FIELDS)).toThrow(/no field zzz/);
  });

  it('writes the legacy body from serialised entries as from the entries', () => {
    const entries: PyValue[] = [{ a: new PyFloat(1) }, { b: 'é' }];
    expect(legacyBodyText(entries.map(pyDumps))).toBe(legacyBody(entries));
    expect(legacyBodyText([])).toBe('null');
  });
});

describe('view cache: each entry serialised once, never stale', () => {
  let server: TestServer;
  const clock = () => server.clock as ManualClock;
  const byId = (id: string) => server.registry.snapshot().find((e) => e.id === id) as CacheEntry;
  /** The ranked forms a lookup can make of one entry: local or not, private address, site, unknown distance, degraded. */
  const rankings = (entry: CacheEntry): RankedCache[] => [
    { entry, distanceKm: 1234.5678, score: 0.123456789, local: false, maxLoad: 122_000, host: entry.heartbeat.hostname, site: null, degraded: false },
    { entry, distanceKm: null, score: 1, local: true, maxLoad: 500, host: host('10.1.2.3'), site: 'cern', degraded: true },
    { entry, distanceKm: 0, score: 1e-7, local: false, maxLoad: 1, host: host('2001:db8::7'), site: null, degraded: false },
  ];
  /** One ranked cache's JSON, as a list of one writes it. */
  const rankedJson = (views: ReturnType<typeof createViewCache>, r: RankedCache, nowMs: number) => views.rankedListJson([r], nowMs);
  const expectSame = (views: ReturnType<typeof createViewCache>, entry: CacheEntry) => {
    for (const r of rankings(entry)) {
      expect(rankedJson(views, r, clock().now())).toBe(asciiJson(JSON.stringify(rankedView(r, clock().now()))));
      // In a list behind another cache, the same text after the comma.
      expect(views.rankedListJson([r, r], clock().now())).toBe(`${asciiJson(JSON.stringify(rankedView(r, clock().now())))},${asciiJson(JSON.stringify(rankedView(r, clock().now())))}`);
      expect(views.legacyPython(r)).toBe(pyDumps(legacyEntry(r.entry, r)));
    }
  };

  beforeAll(async () => {
    server = await startAppServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('serialises exactly as the views do, for every kind of entry', async () => {
    const ids = [
      await addCache(server, { hostname: 'plain.test', external_ip: PLACES.victoria }),
      await addCache(server, { hostname: 'xn--zrich-kva.test', external_ip: PLACES.cern, load: 12.5, max_load: 1000, site: 'cern', access: 'private' }),
      await addCache(server, { hostname: 'declared.test', external_ip: PLACES.tokyo, latitude: 35.7, longitude: 139.7, verified: true, upstream: 'frontier', cache_type: 'varnish' }),
      await addCache(server, { hostname: 'nowhere.test', external_ip: '10.9.9.9', private_ip: '10.9.9.9' }),
    ];
    const views = createViewCache();
    for (const id of ids) {
      expectSame(views, byId(id));
      expectSame(views, byId(id)); // second time from the cache
    }
  });

  it('follows a heartbeat that changes the load, a verification, and the clock', async () => {
    const views = createViewCache();
    const id = await addCache(server, { hostname: 'busy.test', external_ip: PLACES.victoria, load: 10, max_load: 1000 });
    const before = byId(id);
    const [first] = rankings(before) as [RankedCache];
    const oldJson = rankedJson(views, first, clock().now());
    const oldPython = views.legacyPython(first);
    expect(oldJson).toContain('"load":10,');
    expect(oldPython).toContain('"load": 10.0,');

    await addCache(server, { uuid: id, hostname: 'busy.test', external_ip: PLACES.victoria, load: 777.25, max_load: 1000 });
    const after = byId(id);
    expect(after).not.toBe(before);
    expectSame(views, after);
    const [next] = rankings(after) as [RankedCache];
    expect(rankedJson(views, next, clock().now())).toContain('"load":777.25,');
    expect(views.legacyPython(next)).toContain('"load": 777.25,');
    // The old entry's text is still its own (a lookup that began before the heartbeat may still hold it).
    expect(rankedJson(views, first, clock().now())).toBe(oldJson);

    await server.registry.setVerification(id, { ok: false, reason: 'timeout: http://s1.test/x: no answer within 1500 ms', checkedMs: clock().now() });
    expectSame(views, byId(id));
    expect(rankedJson(views, rankings(byId(id))[0] as RankedCache, clock().now())).toContain('"verification":{"ok":false,"class":"timeout"');

    clock().advance(42_000);
    expectSame(views, byId(id));
    expect(rankedJson(views, rankings(byId(id))[0] as RankedCache, clock().now())).toContain('"last_heartbeat_age_s":42,');
  });
});

describe('view cache: whole ranked lists, made once per list', () => {
  let server: TestServer;
  const clock = () => server.clock as ManualClock;
  const caller: Caller = { ip: '192.0.2.9', locatedBy: 'geoip', latitude: 48.4, longitude: -123.4, geo: null, sites: [], nat: null };
  let list: RankedCache[] = [];

  beforeAll(async () => {
    server = await startAppServer();
    const ids = [
      await addCache(server, { hostname: 'one.test', external_ip: PLACES.victoria }),
      await addCache(server, { hostname: 'two.test', external_ip: PLACES.cern, site: 'cern', access: 'private', upstream: 'frontier' }),
      await addCache(server, { hostname: 'three.test', external_ip: PLACES.tokyo, load: 500 }),
    ];
    // Each heartbeat at a different time, so the caches' ages turn over at different moments.
    const entries = server.registry.snapshot().filter((e) => ids.includes(e.id));
    list = entries.map((entry, i) => ({ entry: { ...entry, lastActiveMs: entry.lastActiveMs - 137 * i }, distanceKm: 10.25 * i, score: 0.1 * i, local: i === 1, maxLoad: 1000, host: entry.heartbeat.hostname, site: null, degraded: i === 2 }));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('writes a list as its caches written one by one, at every moment its ages turn over', () => {
    const views = createViewCache();
    const start = clock().now();
    // Both sides of each cache's next turn of age, then well past them, then back to a moment seen before.
    for (const at of [0, 1, 362, 363, 364, 499, 500, 501, 636, 637, 638, 999, 1500, 1637, 42_000, 42_001, 0]) {
      const nowMs = start + at;
      const expected = list.map((r) => asciiJson(JSON.stringify(rankedView(r, nowMs)))).join(',');
      expect(views.rankedListJson(list, nowMs)).toBe(expected);
      expect(views.rankedListJson(list, nowMs)).toBe(expected);
    }
    expect(views.rankedListJson([], start)).toBe('');
  });

  it('writes a whole answer as serialising its views writes it, with or without a note, warming or not', () => {
    const views = createViewCache();
    const nowMs = clock().now() + 2_600;
    const located = { ...caller, geo: { ...cacheLocation(), city: 'Zürich', countryCode: 'CH' } as GeoRecord, sites: ['cern'] };
    for (const note of [null, 'every matching cache is overloaded; ofrecidos — anyway']) {
      for (const warming of [false, true]) {
        const result = { caller: located, caches: list, note };
        const said = warming ? (note ? `${WARMING_NOTE}; ${note}` : WARMING_NOTE) : note;
        const expected = asciiJson(JSON.stringify({ caller: callerView(located), note: said, caches: list.map((r) => rankedView(r, nowMs)) }));
        expect(nearestJson(result, nowMs, views, warming)).toBe(expected);
        expect(nearestJson(result, nowMs, views, warming)).toBe(expected);
      }
    }
  });

  it("writes the original's body of a list, and a PAC file's rules, as the renderers do", () => {
    const views = createViewCache();
    expect(views.legacyNearest(list)).toBe(legacyBodyText(list.map((r) => pyDumps(legacyEntry(r.entry, r)))));
    expect(views.legacyNearest(list)).toBe(legacyBodyText(list.map((r) => pyDumps(legacyEntry(r.entry, r)))));
    const cvmfs = list.slice(0, 2);
    const frontier = list.slice(1);
    for (const options of [
      { direct: true, loadbalance: false },
      { direct: false, loadbalance: false },
      { direct: false, loadbalance: true },
    ]) {
      for (const lists of [{ cvmfs, frontier }, { cvmfs, frontier: [] }, { cvmfs, frontier: list }]) {
        const file = pacFile(lists, caller, options, views);
        expect(file).toBe(pacBody({ cvmfs: lists.cvmfs.map(pacProxyOf), frontier: lists.frontier.map(pacProxyOf) }, { ...options, comment: 'for 192.0.2.9, located by geoip' }));
        expect(pacFile(lists, caller, options, views)).toBe(file);
      }
    }
  });
});

