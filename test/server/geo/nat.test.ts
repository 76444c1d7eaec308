import { describe, expect, it } from 'vitest';
import { createLocality } from '../../../server/geo/sites.js';
import { createNatIndex } from '../../../server/geo/nat.js';
import type { CacheEntry } from '../../../server/model/cache.js';
import { cacheEntry, parsedHeartbeat } from '../../support/cache-entry.js';
import { ip } from '../../support/identity.js';

const entry = (fields: Record<string, unknown>): CacheEntry =>
  cacheEntry(parsedHeartbeat({ uuid: String(fields.hostname), cache_port: 3128, timestamp: 1, ...fields }));

describe('NAT index: callers behind the same NAT as caches', () => {
  it('puts a caller whose address is a cache’s external_ip at that cache’s site (its own hostname when it declares none)', () => {
    const behind = entry({ hostname: 'squid.cloud.test', external_ip: '142.104.1.1', private_ip: '172.31.4.5' });
    const declared = entry({ hostname: 'squid.uvic.test', external_ip: '142.104.1.1', site: 'uvic' });
    const elsewhere = entry({ hostname: 'squid.cern.test', public_ip: '188.184.1.1', site: 'cern', networks: ['10.9.0.0/16'] });
    const index = createLocality({}).index([behind, declared, elsewhere]);
    expect(index.siteOfCache(behind)).toBe('squid.cloud.test');
    expect(index.sitesOf('142.104.1.1')).toEqual(['squid.cloud.test', 'uvic']);
    expect(index.natOf('142.104.1.1')).toBe('142.104.1.1');
    // A public address is not a NAT: a caller at it is not in that cache's site.
    expect(index.sitesOf('188.184.1.1')).toEqual([]);
    expect(index.natOf('188.184.1.1')).toBeNull();
    expect(index.sitesOf('142.104.1.2')).toEqual([]);
    expect(index.natOf(null)).toBeNull();
  });

  it('merges NAT sites with the sites whose networks hold the address, sorted, once each', () => {
    const index = createLocality({ zeta: ['142.104.0.0/16'] }).index([
      entry({ hostname: 'a.test', external_ip: '142.104.1.1', site: 'alpha' }),
      entry({ hostname: 'b.test', external_ip: '142.104.1.1', site: 'zeta' }),
    ]);
    expect(index.sitesOf('142.104.1.1')).toEqual(['alpha', 'zeta']);
    expect(index.sitesOf('142.104.9.9')).toEqual(['zeta']);
  });

  it('finds an IPv6 NAT address however the caller’s address is spelt', () => {
    const nat = createNatIndex();
    nat.add(ip('2001:db8::7'), 'cloud');
    expect(nat.sitesOf('2001:db8::7')).toEqual(['cloud']);
    expect(nat.sitesOf('2001:0db8:0:0:0:0:0:7')).toEqual(['cloud']);
    expect(nat.natOf('2001:db8:0::7')).toBe('2001:db8::7');
    expect(nat.sitesOf('2001:db8::8')).toEqual([]);
  });

  it('is rebuilt when a cache’s external address changes', () => {
    const locality = createLocality({});
    const before = entry({ hostname: 'a.test', external_ip: '142.104.1.1' });
    expect(locality.index([before]).sitesOf('142.104.1.1')).toEqual(['a.test']);
    const after = entry({ hostname: 'a.test', external_ip: '133.11.0.1' });
    const index = locality.index([after]);
    expect(index.sitesOf('142.104.1.1')).toEqual([]);
    expect(index.sitesOf('133.11.0.1')).toEqual(['a.test']);
  });
});
