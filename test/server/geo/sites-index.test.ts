import { describe, expect, it } from 'vitest';
import { createLocality } from '../../../server/geo/sites.js';
import type { CacheEntry, CacheLocation } from '../../../server/model/cache.js';
import { cacheEntry, cacheLocation, parsedHeartbeat } from '../../support/cache-entry.js';

function entry(fields: Record<string, unknown>, location: Partial<CacheLocation> | null = null): CacheEntry {
  const hb = parsedHeartbeat({ uuid: String(fields.hostname), cache_port: 3128, timestamp: 1, ...fields });
  // Only the fields a test gives; the rest empty, at 0,0.
  const nowhere = { city: null, regionCode: null, countryCode: null, countryName: null, continent: null, timeZone: null, postalCode: null, metroCode: null, latitude: 0, longitude: 0 };
  return cacheEntry(hb, { location: location && cacheLocation({ ...nowhere, ...location }) });
}

describe('site index', () => {
  it.each([
    ['a declared site', { hostname: 'a', site: 'uvic' }, 'uvic'],
    ['the coverage site holding its private address', { hostname: 'b', private_ip: '10.9.1.1' }, 'cern'],
    ['the coverage site holding its public address', { hostname: 'c', public_ip: '188.184.2.2' }, 'cern'],
    ['its own hostname when it declares networks but no site', { hostname: 'd.test', networks: ['10.7.0.0/16'] }, 'd.test'],
    ['no site at all', { hostname: 'e', public_ip: '142.104.1.1' }, null],
  ])('gives a cache %s', (_what, fields, site) => {
    const locality = createLocality({ cern: ['188.184.0.0/16', '10.9.0.0/16'] });
    const e = entry(fields);
    expect(locality.index([e]).siteOfCache(e)).toBe(site);
  });

  it('finds the sites of an address from declared networks and coverage together', () => {
    const locality = createLocality({ cern: ['10.9.0.0/16'] });
    const index = locality.index([entry({ hostname: 'a', site: 'cern', networks: ['2001:db8::/32'] }), entry({ hostname: 'b', site: 'uvic', networks: ['10.0.0.0/8'] })]);
    expect(index.sitesOf('10.9.1.1')).toEqual(['cern', 'uvic']);
    expect(index.sitesOf('2001:db8::5')).toEqual(['cern']);
    expect(index.sitesOf('10.1.1.1')).toEqual(['uvic']);
    expect(index.sitesOf('192.168.1.1')).toEqual([]);
    expect(index.sitesOf(null)).toEqual([]);
  });

  it('ignores a network no CIDR parser accepts instead of failing every lookup', () => {
    // The heartbeat schema refuses such a network; a stored entry from elsewhere (Redis) must not break lookups either.
    const e = entry({ hostname: 'a', site: 's', networks: ['10.1.0.0/16'] });
    const index = createLocality({}).index([{ ...e, heartbeat: { ...e.heartbeat, networks: ['10.0.0.0/99', '10.1.0.0/16'] } }]);
    expect(index.sitesOf('10.1.2.3')).toEqual(['s']);
  });

  it('places a site at a cache with declared coordinates before one located by GeoIP', () => {
    const index = createLocality({}).index([
      entry({ hostname: 'a', site: 's' }, { latitude: 1, source: 'geoip' }),
      entry({ hostname: 'z', site: 's' }, { latitude: 2, source: 'declared' }),
    ]);
    expect(index.positionOf('s')?.latitude).toBe(2);
    expect(index.positionOf('nowhere')).toBeNull();
  });

  it('rebuilds only when a snapshot changes what the sites are made of', () => {
    const locality = createLocality({});
    const a = entry({ hostname: 'a', site: 's', networks: ['10.0.0.0/8'], load: 1 }, { latitude: 1 });
    const b = entry({ hostname: 'b', public_ip: '142.104.1.1' });
    const first = locality.index([a, b]);
    expect(locality.index([a, b])).toBe(first);
    // A heartbeat that changed only the load (a new entry, the same location object): the same index.
    const busier = { ...a, heartbeat: { ...a.heartbeat, load: 5000 } };
    expect(locality.index([busier, b])).toBe(first);

    const changes: [string, CacheEntry[]][] = [
      ['another network', [{ ...a, heartbeat: { ...a.heartbeat, networks: ['10.0.0.0/16'] } }, b]],
      ['another site', [{ ...a, heartbeat: { ...a.heartbeat, site: 't' } }, b]],
      ['a new location', [{ ...a, location: { ...(a.location as CacheLocation), latitude: 2 } }, b]],
      ['a cache that joined a site', [a, { ...b, heartbeat: { ...b.heartbeat, site: 's' } }]],
      ['a cache fewer', [a]],
    ];
    for (const [what, snapshot] of changes) {
      const rebuilt = locality.index(snapshot);
      expect(rebuilt, what).not.toBe(first);
      const fresh = createLocality({}).index(snapshot);
      for (const address of ['10.1.2.3', '10.0.1.2', '142.104.1.1']) expect(rebuilt.sitesOf(address), what).toEqual(fresh.sitesOf(address));
      for (const site of ['s', 't']) expect(rebuilt.positionOf(site), what).toEqual(fresh.positionOf(site));
      locality.index([a, b]);
    }
  });
});
