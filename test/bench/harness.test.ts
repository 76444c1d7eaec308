import { describe, expect, it } from 'vitest';
import { parseCpuSeconds } from '../../bench/cpu.js';
import { ceilingNotes, checkTargets, cpuMicros, formatTable, loadGeneratorNotes } from '../../bench/report.js';
import type { LookupSize } from '../../bench/results.js';
import { quantileSorted, summariseLatencies } from '../../bench/stats.js';
import { cacheHeartbeat, cacheHostname, countryCount, sampleWorldAddresses, sentinelHeartbeat } from '../../bench/world.js';
import { geoApiPaths } from '../../bench/scenarios/lookup.js';
import { parseHeartbeat } from '../../shared/heartbeat.js';

// A stand-in GeoIP: the first octet picks one of 40 countries, octets ≥ 200 are unknown.
const countryOf = (ip: string) => {
  const first = Number(ip.split('.')[0]);
  return first >= 200 ? null : `C${first % 40}`;
};

describe('bench world', () => {
  it('draws located addresses round-robin over countries, the same for the same seed', () => {
    const a = sampleWorldAddresses(countryOf, { count: 400, seed: 7 });
    expect(a).toHaveLength(400);
    expect(countryCount(a)).toBe(40);
    expect(a.every((x) => countryOf(x.ip) === x.countryCode)).toBe(true);
    expect(new Set(a.map((x) => x.ip)).size).toBe(400);
    expect(sampleWorldAddresses(countryOf, { count: 400, seed: 7 })).toEqual(a);
    expect(sampleWorldAddresses(countryOf, { count: 400, seed: 8 })).not.toEqual(a);
  });

  it('stops short when the countries run out of addresses', () => {
    expect(sampleWorldAddresses(countryOf, { count: 500, seed: 1, attempts: 100 }).length).toBeLessThan(100);
  });

  it('makes heartbeats the server accepts, in the original agent form, changing load between rounds', () => {
    const address = { ip: '142.104.1.1', countryCode: 'CA' };
    const first = cacheHeartbeat(42, address, { round: 0, seed: 1, nowS: 1_700_000_000 });
    const parsed = parseHeartbeat(JSON.stringify(first));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.heartbeat).toMatchObject({ uuid: 'bench000042', hostname: 'cache-42.ca.bench.test', cachePort: 3128, publicIp: '142.104.1.1', maxLoad: 122_000 });
    expect(first.cache_port).toBe('3128');
    expect(cacheHeartbeat(42, address, { round: 1, seed: 1, nowS: 1_700_000_000 }).load).not.toBe(first.load);
    const sentinel = sentinelHeartbeat('3', 1_700_000_000);
    expect(parseHeartbeat(sentinel.body)).toMatchObject({ ok: true, heartbeat: { hostname: sentinel.hostname, latitude: expect.any(Number) } });
  });
});

describe('bench geo API paths', () => {
  it('asks once per caller, for the same servers each time: registered cache names and address literals, nothing that needs DNS', () => {
    const callers = [{ ip: '142.104.1.1', countryCode: 'CA' }, { ip: '133.11.0.1', countryCode: 'JP' }];
    const caches = [{ ip: '188.184.1.1', countryCode: 'CH' }, { ip: '131.225.1.1', countryCode: 'US' }];
    const paths = geoApiPaths({ callers, caches, size: 100 }, 50);
    expect(paths).toHaveLength(2);
    const [first, second] = paths.map((p) => /^\/cvmfs\/atlas\.cern\.ch\/api\/v1\.0\/geo\/([^/]+)\/(.+)$/.exec(p));
    expect(first?.[1]).toBe('142.104.1.1');
    expect(second?.[1]).toBe('133.11.0.1');
    expect(first?.[2]).toBe(second?.[2]);
    const names = (first?.[2] ?? '').split(',');
    expect(names).toHaveLength(50);
    expect(names.filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n))).toHaveLength(25);
    expect(names.filter((n) => n.endsWith('.bench.test'))).toHaveLength(25);
    expect(names[0]).toBe(cacheHostname(0, caches[0] as (typeof caches)[0]));
  });
});

describe('bench statistics and report', () => {
  it('takes nearest-rank quantiles', () => {
    const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(quantileSorted(sorted, 0.5)).toBe(500);
    expect(quantileSorted(sorted, 0.99)).toBe(990);
    expect(quantileSorted(sorted, 0.999)).toBe(999);
    expect(summariseLatencies([3, 1, 2])).toMatchObject({ count: 3, p50Ms: 2, maxMs: 3, meanMs: 2 });
    expect(summariseLatencies([]).p50Ms).toBeNaN();
  });

  it('aligns a table', () => {
    expect(formatTable(['what', 'n'], [['a', '1'], ['longer', '100']])).toBe('what      n\n------  ---\na         1\nlonger  100');
  });

  const route = (rps: number, ratio: number) => ({ requests: 1, rps, non2xx: 0, errors: 0, timeouts: 0, meanMs: 1, p50Ms: 1, p99Ms: 2, p999Ms: 3, maxMs: 4, bytesPerResponse: 100, ratioToBare: ratio });
  const size = (caches: number, ratio: number): LookupSize => ({
    caches,
    fill: { heartbeats: caches, visibleS: 1, perSecond: caches },
    memory: { rssMb: 100, peakMb: 100 },
    bareRps: 1000,
    routes: { api_nearest: route(1000 * ratio, ratio), nearest_5: route(1000 * ratio, ratio), wpad: route(1000 * ratio, ratio) },
  });

  it('holds figures against the targets, and says n/a for what was not measured', () => {
    const checks = checkTargets({ lookup: [size(1000, 0.75), size(10000, 0.3)], ingest: [], memory: [{ caches: 10000, rssMb: 150, afterLoadMb: 300 }], client: [] });
    const by = (what: string) => checks.find((c) => c.what === what);
    expect(by('api_nearest at 1000 caches / bare')?.pass).toBe(true);
    expect(by('api_nearest at 10000 caches / bare')?.pass).toBe(false);
    // Judged right after feeding; RSS after the lookup load is shown, not judged.
    expect(by('server RSS at 10000 caches')?.pass).toBe(true);
    expect(checkTargets({ lookup: [], ingest: [], memory: [{ caches: 10000, rssMb: 210, afterLoadMb: 190 }], client: [] }).find((c) => c.what.startsWith('server RSS'))?.pass).toBe(false);
    expect(by('ingest (memory), heartbeats/s publish → visible')?.pass).toBeNull();
    expect(by('api_nearest at 1000 caches, Redis registry / memory registry')?.pass).toBeNull();
  });

  it('compares lookups with the Redis registry against memory at the same size, not against the first block found', () => {
    const memory = size(1000, 0.4);
    const redis = (ratio: number): LookupSize => ({ ...size(1000, ratio), registry: 'redis' });
    const ratioCheck = (lookup: LookupSize[]) =>
      checkTargets({ lookup, ingest: [], memory: [], client: [] }).find((c) => c.what === 'api_nearest at 1000 caches, Redis registry / memory registry');
    expect(ratioCheck([memory, redis(0.3)])).toMatchObject({ value: '75%', pass: true });
    expect(ratioCheck([redis(0.1), memory])).toMatchObject({ value: '25%', pass: false });
    // The memory block's own targets are not judged on the Redis block.
    expect(checkTargets({ lookup: [redis(0.9), size(1000, 0.2)], ingest: [], memory: [], client: [] }).find((c) => c.what === 'api_nearest at 1000 caches / bare')?.pass).toBe(false);
  });
});

describe('bench CPU accounting', () => {
  it('reads utime and stime from a /proc stat line, even with spaces and parentheses in the command name', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[11] = '250'; // utime (field 14)
    fields[12] = '50'; // stime (field 15)
    expect(parseCpuSeconds(`1234 (node (worker) x) ${fields.join(' ')}`)).toBe(3);
  });

  it('notes the sizes where the load generator was near a full core', () => {
    const figures = (load: number) => ({ requests: 1, rps: 1, non2xx: 0, errors: 0, timeouts: 0, meanMs: 1, p50Ms: 1, p99Ms: 1, p999Ms: 1, maxMs: 1, bytesPerResponse: 100, ratioToBare: 1, cpu: { server: 0.8, load } });
    const size = (caches: number, load: number): LookupSize => ({
      caches,
      fill: { heartbeats: caches, visibleS: 1, perSecond: caches },
      memory: { rssMb: 100, peakMb: 100 },
      bareRps: 1,
      routes: { bare: figures(load), api_nearest: figures(0.5) },
    });
    const notes = loadGeneratorNotes([size(100, 0.5), size(1000, 0.97)], 0.9);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('1000 caches');
    expect(notes[0]).toContain('bare (load generator 97%');
  });

  it('notes what caller_only reached of bare, where it was measured', () => {
    const figures = (ratioToBare: number) => ({ requests: 1, rps: 1, non2xx: 0, errors: 0, timeouts: 0, meanMs: 1, p50Ms: 1, p99Ms: 1, p999Ms: 1, maxMs: 1, bytesPerResponse: 100, ratioToBare });
    const size = (caches: number, routes: LookupSize['routes']): LookupSize => ({ caches, fill: { heartbeats: caches, visibleS: 1, perSecond: caches }, memory: { rssMb: 100, peakMb: 100 }, bareRps: 1, routes });
    const notes = ceilingNotes([size(100, { bare: figures(1) }), size(1000, { bare: figures(1), caller_only: figures(0.734) })]);
    expect(notes).toEqual([expect.stringMatching(/^1000 caches: caller_only reached 73% of bare/)]);
    const both = ceilingNotes([size(1000, { bare: figures(1), caller_only: figures(0.9), caller_answer: figures(0.76) })]);
    expect(both).toEqual([expect.stringMatching(/^1000 caches: caller_only reached 90% of bare/), expect.stringMatching(/^1000 caches: caller_answer reached 76% of bare: .*\/api\/v1\/nearest/)]);
  });
});

describe('bench CPU per request', () => {
  it('is server CPU over requests answered, and absent when not measured', () => {
    expect(cpuMicros({ rps: 10_000, cpu: { server: 0.5 } })).toBeCloseTo(50);
    expect(cpuMicros({ rps: 10_000 })).toBeNull();
    expect(cpuMicros(undefined)).toBeNull();
  });
});
