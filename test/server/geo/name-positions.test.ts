import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../support/clock.js';
import { createNameLocator } from '../../../server/geo/name-positions.js';
import type { GeoIp } from '../../../server/geo/geoip.js';
import { createGeoApiRoutes } from '../../../server/http/routes/geo-api.js';
import type { ServerDeps } from '../../../server/http/deps.js';
import type { TestServer } from '../../support/server.js';
import { addCache, PLACES, startAppServer } from '../../support/app.js';

describe('positions by name, cached', () => {
  let server: TestServer;
  let uvic = '';
  beforeAll(async () => {
    server = await startAppServer();
    uvic = await addCache(server, { hostname: 'squid.uvic.test', public_ip: PLACES.victoria, external_ip: undefined });
  });
  afterAll(async () => server?.stop());

  /** The real GeoIP reader, counting its lookups, with a reload that can be fired by hand. */
  const counting = () => {
    const listeners: (() => void)[] = [];
    const geoip: GeoIp & { onReload(l: () => void): void; lookups: number; fire(): void } = {
      lookups: 0,
      lookup(address) {
        geoip.lookups++;
        return server.geoip.lookup(address);
      },
      builtAt: () => server.geoip.builtAt(),
      path: () => server.geoip.path(),
      onReload: (l) => void listeners.push(l),
      fire: () => listeners.forEach((l) => l()),
    };
    return geoip;
  };
  const noDns = (asked: string[]) => async (name: string) => {
    asked.push(name);
    throw new Error('ENOTFOUND');
  };

  it('reuses a cached position: one GeoIP lookup per address literal, however often it is asked', async () => {
    const geoip = counting();
    const names = createNameLocator({ geoip, registry: server.registry, clock: createManualClock(), resolve: noDns([]) });
    const first = names.known(PLACES.cern);
    for (let i = 0; i < 5; i++) expect(names.known(PLACES.cern)).toEqual(first);
    expect(await names.locate(PLACES.cern)).toEqual(first);
    expect(first?.latitude).toBeCloseTo(46.2, 0);
    expect(geoip.lookups).toBe(1);
  });

  it('drops the cached positions when GeoIP reloads', () => {
    const geoip = counting();
    const names = createNameLocator({ geoip, registry: server.registry, clock: createManualClock(), resolve: noDns([]) });
    names.known(PLACES.tokyo);
    names.known(PLACES.tokyo);
    expect(geoip.lookups).toBe(1);
    geoip.fire();
    names.known(PLACES.tokyo);
    expect(geoip.lookups).toBe(2);
  });

  it('drops the cached positions on a join and on a leave, not on a heartbeat that changes only load', async () => {
    const geoip = counting();
    const asked: string[] = [];
    const names = createNameLocator({ geoip, registry: server.registry, clock: createManualClock(), resolve: noDns(asked) });
    expect(names.known('squid.uvic.test')?.longitude).toBeCloseTo(-123.3, 0);
    expect(await names.locate('squid.cern.test')).toBeNull(); // not registered: DNS, which fails
    names.known(PLACES.tokyo);
    expect(geoip.lookups).toBe(1);

    await addCache(server, { uuid: uvic, hostname: 'squid.uvic.test', public_ip: PLACES.victoria, external_ip: undefined, load: 77 });
    names.known(PLACES.tokyo);
    expect(geoip.lookups).toBe(1);

    const joined = await addCache(server, { hostname: 'squid.cern.test', public_ip: PLACES.cern, external_ip: undefined });
    expect(names.known('squid.cern.test')?.latitude).toBeCloseTo(46.2, 0);
    names.known(PLACES.tokyo);
    expect(geoip.lookups).toBe(2);

    expect(await server.registry.remove(joined)).toBeDefined();
    names.known(PLACES.tokyo);
    expect(geoip.lookups).toBe(3);
    expect(names.known('squid.cern.test')).toBeNull(); // the DNS answer (a failure) is still cached: no new lookup
    expect(asked).toEqual(['squid.cern.test']);
  });

  it('answers without a promise or a DNS call when every name is known', async () => {
    const asked: string[] = [];
    const names = createNameLocator({ geoip: server.geoip, registry: server.registry, clock: createManualClock(), resolve: noDns(asked) });
    const deps = { metrics: { lookups: { inc: () => undefined } } } as unknown as ServerDeps;
    const app = createGeoApiRoutes({ ...deps, names });
    const url = `http://x/cvmfs/atlas.cern.ch/api/v1.0/geo/${PLACES.cern}/${PLACES.tokyo},squid.uvic.test,${PLACES.cern},x`;
    const response = app.fetch(new Request(url));
    expect(response).toBeInstanceOf(Response);
    expect(await (response as Response).text()).toBe('3,2,1,4\n');
    expect(asked).toEqual([]);
  });

  it('keeps at most maxEntries names, the oldest going first', () => {
    const geoip = counting();
    const names = createNameLocator({ geoip, registry: server.registry, clock: createManualClock(), resolve: noDns([]), maxEntries: 2 });
    names.knownAll([PLACES.cern, PLACES.tokyo, PLACES.victoria]);
    expect(geoip.lookups).toBe(3);
    names.known(PLACES.victoria);
    expect(geoip.lookups).toBe(3);
    names.known(PLACES.cern);
    expect(geoip.lookups).toBe(4);
  });

  it('keeps the positions of one list until one may have changed: a registry change, a GeoIP reload, a DNS answer running out', async () => {
    const geoip = counting();
    const clock = createManualClock();
    const answers: Record<string, string[]> = { 'stratum1.example.org': [PLACES.tokyo] };
    const names = createNameLocator({ geoip, registry: server.registry, clock, resolve: async (name) => answers[name] ?? [], ttlMs: 60_000 });
    const list = ['squid.uvic.test', PLACES.cern, 'stratum1.example.org'];
    expect(names.knownAll(list)).toBeUndefined(); // the DNS name: not yet
    await names.locate('stratum1.example.org');
    const first = names.knownAll(list);
    expect(first?.map((p) => Math.round(p?.latitude ?? 0))).toEqual([48, 46, 36]);
    expect(names.knownAll(list)).toBe(first);
    // Another array with the same names is placed afresh, and alike.
    expect(names.knownAll([...list])).toEqual(first);

    // The registered cache moves: its new position, at once.
    await addCache(server, { uuid: uvic, hostname: 'squid.uvic.test', public_ip: PLACES.cern, external_ip: undefined });
    const moved = names.knownAll(list);
    expect(moved).not.toBe(first);
    expect(Math.round(moved?.[0]?.latitude ?? 0)).toBe(46);
    await addCache(server, { uuid: uvic, hostname: 'squid.uvic.test', public_ip: PLACES.victoria, external_ip: undefined });

    const back = names.knownAll(list);
    geoip.fire();
    expect(names.knownAll(list)).not.toBe(back);

    // The DNS answer runs out: asked again, and its new answer used.
    answers['stratum1.example.org'] = [PLACES.victoria];
    const before = names.knownAll(list);
    clock.advance(60_001);
    expect(names.knownAll(list)).toBeUndefined();
    await names.locate('stratum1.example.org');
    expect(names.knownAll(list)).not.toBe(before);
    expect(Math.round(names.knownAll(list)?.[2]?.latitude ?? 0)).toBe(48);
  });
});
