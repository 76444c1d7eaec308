import { describe, expect, it } from 'vitest';
import { DEMO_SITES, SAMPLE_CALLERS } from '../../demo/sites.js';
import { bundledGeoIpPath, openGeoIp } from '../../server/geo/geoip.js';
import { haversineKm } from '../../server/geo/sphere.js';
import { createSilentLogger } from '../../shared/logger.js';
import { cacheCost } from '../../server/lookup/rank.js';
import { DEFAULT_RANK_WEIGHTS } from '../support/lookup.js';

const geoip = await openGeoIp(bundledGeoIpPath(), createSilentLogger());

describe('demo sites', () => {
  it('are 15, with distinct keys, names, hostnames and addresses', () => {
    expect(DEMO_SITES).toHaveLength(15);
    for (const field of ['key', 'site', 'hostname', 'publicIp'] as const) expect(new Set(DEMO_SITES.map((s) => s[field])).size).toBe(15);
    expect(DEMO_SITES.every((s) => s.hostname.endsWith('.test'))).toBe(true);
  });

  it('mix cache types and upstreams', () => {
    expect(new Set(DEMO_SITES.map((s) => s.cacheType))).toEqual(new Set(['squid', 'varnish']));
    expect(new Set(DEMO_SITES.map((s) => s.upstream))).toEqual(new Set(['cvmfs', 'frontier', 'both']));
  });

  it.each(DEMO_SITES.map((s) => [s.site, s] as const))('%s: its address is in its country by the bundled GeoIP, near its declared coordinates', (_name, site) => {
    const record = geoip.lookup(site.publicIp);
    expect(record?.countryCode).toBe(site.countryCode);
    // Many institutional blocks resolve only to a country centroid in the 2019 database: a loose bound.
    expect(haversineKm(record as { latitude: number; longitude: number }, site)).toBeLessThan(500);
  });

  it.each(SAMPLE_CALLERS.map((c) => [c.place, c] as const))('sample caller %s is located by the bundled GeoIP', (_place, caller) => {
    expect(geoip.lookup(caller.ip)).not.toBeNull();
  });

  it('rank a Japanese site first for a VM in Tokyo, however the loads drift', () => {
    const tokyo = geoip.lookup('133.11.0.1');
    expect(tokyo?.countryCode).toBe('JP');
    const cost = (site: (typeof DEMO_SITES)[number], fraction: number) =>
      cacheCost({ distanceKm: haversineKm(tokyo as { latitude: number; longitude: number }, site), load: fraction * site.maxLoad, maxLoad: site.maxLoad }, DEFAULT_RANK_WEIGHTS);
    const japanese = DEMO_SITES.filter((s) => s.countryCode === 'JP');
    const others = DEMO_SITES.filter((s) => s.countryCode !== 'JP');
    expect(japanese.map((s) => s.key).sort()).toEqual(['kek', 'tokyo']);
    // Worst case for Japan (its sites at the top of their band) against the best case for everyone else.
    const worstJapanese = Math.max(...japanese.map((s) => cost(s, s.load.high)));
    const bestOther = Math.min(...others.map((s) => cost(s, s.load.low)));
    expect(worstJapanese).toBeLessThan(bestOther);
  });

  it('keep every load band under max load, so no demo cache is ever left out as overloaded', () => {
    for (const s of DEMO_SITES) expect(s.load.high).toBeLessThan(1);
  });
});
