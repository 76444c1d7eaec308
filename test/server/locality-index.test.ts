import { describe, expect, it } from 'vitest';
import { parseHeartbeat, type Heartbeat } from '../../shared/heartbeat.js';
import { createLocality } from '../../server/locality.js';
import type { CacheEntry, CacheLocation } from '../../server/registry/types.js';

function entry(fields: Record<string, unknown>, location: Partial<CacheLocation> | null = null): CacheEntry {
  const parsed = parseHeartbeat({ uuid: String(fields.hostname), cache_port: 3128, timestamp: 1, ...fields });
  if (!parsed.ok) throw new Error(parsed.reason);
  const hb: Heartbeat = parsed.heartbeat;
  const loc = location ? ({ city: null, regionCode: null, countryCode: null, countryName: null, continent: null, timeZone: null, postalCode: null, metroCode: null, latitude: 0, longitude: 0, source: 'geoip', ...location } as CacheLocation) : null;
  return { id: hb.uuid, heartbeat: hb, location: loc, unit: null, createdMs: 0, lastActiveMs: 0, verification: null };
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
    const index = createLocality({}).index([entry({ hostname: 'a', site: 's', networks: ['10.0.0.0/99', '10.1.0.0/16'] })]);
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

  it('rebuilds only when the snapshot changes', () => {
    const locality = createLocality({});
    const snapshot = Object.freeze([entry({ hostname: 'a', site: 's', networks: ['10.0.0.0/8'] })]);
    expect(locality.index(snapshot)).toBe(locality.index(snapshot));
    expect(locality.index([...snapshot])).not.toBe(locality.index(snapshot));
  });
});
