import type { CacheType, Upstream } from '../shared/heartbeat.js';

/** Where a simulated cache's load stays, as fractions of its max load. */
export interface LoadBand {
  low: number;
  high: number;
}

/** One simulated cache at a real HEP computing site. */
export interface DemoSite {
  /** Short key; the agent's uuid is `shoal-demo-<key>`, so a restarted demo replaces its own entries. */
  key: string;
  /** WLCG (GOCDB) site name, as operators know it. */
  site: string;
  /** Reserved `.test` names (RFC 6761): they never resolve, so no real VM can be pointed at a demo cache. */
  hostname: string;
  cachePort: number;
  cacheType: CacheType;
  upstream: Upstream;
  /** An address from the institution's public block; the bundled GeoIP places it in `countryCode`. */
  publicIp: string;
  countryCode: string;
  /** Declared coordinates of the computing centre (the server uses these instead of GeoIP). */
  latitude: number;
  longitude: number;
  /** kB/s: 125 000 is a 1 Gb/s link, 1 250 000 a 10 Gb/s one. */
  maxLoad: number;
  load: LoadBand;
  verified: boolean;
}

const GBIT = 125_000;

/**
 * The demo's caches. Load bands are chosen so the ranking stays as a newcomer expects whatever the
 * random walk does: the two Japanese sites never pass 25 % of their max load and every other site stays
 * above 20 %, so for a VM in Tokyo a Japanese cache always wins (test/demo/sites.test.ts works
 * the margins out with the real cost function).
 */
export const DEMO_SITES: readonly DemoSite[] = Object.freeze([
  site('cern', 'CERN-PROD', 3128, 'squid', 'both', '188.184.9.234', 'CH', 46.2333, 6.0553, 10 * GBIT, [0.3, 0.8]),
  site('triumf', 'TRIUMF-LCG2', 3128, 'squid', 'frontier', '142.90.100.12', 'CA', 49.2475, -123.2301, 10 * GBIT, [0.2, 0.6]),
  site('uvic', 'CA-VICTORIA-WESTGRID-T2', 3128, 'squid', 'cvmfs', '142.104.60.13', 'CA', 48.4634, -123.3117, GBIT, [0.2, 0.7]),
  site('ral', 'RAL-LCG2', 3128, 'squid', 'both', '130.246.180.21', 'GB', 51.5719, -1.314, 10 * GBIT, [0.25, 0.75]),
  site('bnl', 'BNL-ATLAS', 3128, 'squid', 'frontier', '130.199.3.21', 'US', 40.869, -72.8868, 10 * GBIT, [0.3, 0.85]),
  site('fnal', 'USCMS-FNAL-WC1', 3128, 'squid', 'both', '131.225.105.31', 'US', 41.8413, -88.2616, 10 * GBIT, [0.3, 0.8]),
  site('nebraska', 'Nebraska', 3128, 'squid', 'cvmfs', '129.93.239.41', 'US', 40.8202, -96.7005, GBIT, [0.2, 0.7], false),
  site('ihep', 'BEIJING-LCG2', 3128, 'squid', 'both', '202.122.33.51', 'CN', 39.9086, 116.2469, GBIT, [0.3, 0.7]),
  site('kek', 'JP-KEK-CRC-02', 3128, 'squid', 'cvmfs', '130.87.100.61', 'JP', 36.1483, 140.075, 10 * GBIT, [0.05, 0.25]),
  site('desy', 'DESY-HH', 6081, 'varnish', 'cvmfs', '131.169.98.71', 'DE', 53.5763, 9.8796, 10 * GBIT, [0.2, 0.6]),
  site('in2p3', 'IN2P3-CC', 3128, 'squid', 'both', '134.158.100.81', 'FR', 45.7825, 4.8656, 10 * GBIT, [0.25, 0.75]),
  site('cnaf', 'INFN-T1', 3128, 'squid', 'frontier', '131.154.128.91', 'IT', 44.4936, 11.343, 10 * GBIT, [0.2, 0.7]),
  site('nikhef', 'NIKHEF-ELPROD', 6081, 'varnish', 'cvmfs', '192.16.186.101', 'NL', 52.3562, 4.9509, 10 * GBIT, [0.2, 0.65]),
  site('tokyo', 'TOKYO-LCG2', 3128, 'squid', 'both', '157.82.112.111', 'JP', 35.7126, 139.762, GBIT, [0.05, 0.25]),
  site('melbourne', 'Australia-ATLAS', 3128, 'squid', 'both', '128.250.5.121', 'AU', -37.7983, 144.961, GBIT, [0.2, 0.7]),
]);

function site(
  key: string,
  name: string,
  cachePort: number,
  cacheType: CacheType,
  upstream: Upstream,
  publicIp: string,
  countryCode: string,
  latitude: number,
  longitude: number,
  maxLoad: number,
  [low, high]: [number, number],
  verified = true,
): DemoSite {
  return { key, site: name, hostname: `${key}.shoal-demo.test`, cachePort, cacheType, upstream, publicIp, countryCode, latitude, longitude, maxLoad, load: { low, high }, verified };
}

/** A VM's address on each inhabited continent, for the lookups the demo suggests. */
export const SAMPLE_CALLERS: readonly { continent: string; place: string; ip: string }[] = Object.freeze([
  { continent: 'Europe', place: 'Geneva (CERN)', ip: '188.184.1.1' },
  { continent: 'North America', place: 'Victoria (UVic)', ip: '142.104.1.1' },
  { continent: 'South America', place: 'São Paulo (SPRACE)', ip: '200.136.80.1' },
  { continent: 'Asia', place: 'Tokyo (University of Tokyo)', ip: '133.11.0.1' },
  { continent: 'Oceania', place: 'Melbourne (University of Melbourne)', ip: '128.250.1.1' },
  { continent: 'Africa', place: 'Cape Town (UCT)', ip: '137.158.1.1' },
]);
