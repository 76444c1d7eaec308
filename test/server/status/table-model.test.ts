import { describe, expect, it } from 'vitest';
import type { Heartbeat } from '../../../shared/heartbeat.js';
import type { CacheEntry, VerificationState } from '../../../server/model/cache.js';
import { formatAge, formatLoad, formatPlace } from '../../../server/status/format.js';
import { densityScale, markerRadius } from '../../../server/status/map-view.js';
import { hrefFor } from '../../../server/status/table-view.js';
import { pageState } from '../../../server/model/state.js';
import { DEFAULT_QUERY, StatusQuerySchema, selectPage, summarise, toStatusRow, type StatusQuery } from '../../../server/status/table-model.js';
import { host, port } from '../../support/identity.js';
import { cacheEntry, heartbeat } from '../../support/cache-entry.js';

const NOW = Date.UTC(2026, 0, 1, 12);

function entry(i: number, hb: Partial<Heartbeat> = {}, verification: VerificationState | null = null): CacheEntry {
  return cacheEntry(
    heartbeat({
      uuid: `id${i}`,
      hostname: host(`squid${i}.site${i % 10}.test`),
      cachePort: port(3128 + (i % 3)),
      cacheType: i % 4 === 0 ? 'varnish' : 'squid',
      maxLoad: 10_000,
      load: (i * 7919) % 10_000,
      timestamp: NOW / 1000,
      site: `site${i % 10}`,
      ...hb,
    }),
    { id: `id${String(i).padStart(5, '0')}`, createdMs: NOW - 60_000, lastActiveMs: NOW - (i % 120) * 1000, verification },
  );
}

const query = (q: Partial<StatusQuery> = {}): StatusQuery => ({ ...DEFAULT_QUERY, ...q });
const rows = (n: number) => Array.from({ length: n }, (_, i) => toStatusRow(entry(i), NOW, 122_000));

describe('pageState', () => {
  it.each([
    ['the agent reports nothing special', {}, null, 'unverified'],
    ['the agent says verified', { verified: true }, null, 'verified'],
    ['the server check passed', {}, { ok: true, checkedMs: NOW }, 'verified'],
    ['the server check failed, though the agent says verified', { verified: true }, { ok: false, reason: 'timeout', checkedMs: NOW }, 'failing'],
    ['the agent reports its self-check failing', { status: 'failing' as const, verified: true }, null, 'failing'],
  ] as const)('%s → %s', (_why, hb, verification, expected) => {
    expect(pageState(entry(1, hb, verification))).toBe(expected);
  });

  it('gives the failure reason, from the server check first', () => {
    expect(toStatusRow(entry(1, { status: 'failing', statusReason: 'HTTP 503' }), NOW, 1).reason).toBe("agent's self-check: HTTP 503");
    // The server's check as its coarse class only: the detail is for the admin routes.
    const timedOut = toStatusRow(entry(1, { verified: true }, { ok: false, reason: 'timeout: http://s1.test/x: no answer within 1500 ms', checkedMs: NOW - 30_000 }), NOW, 1);
    expect(timedOut.reason).toBe('server check: timeout (no answer in time)');
    expect(timedOut.reason).not.toContain('s1.test');
    expect(timedOut.verification).toEqual({ class: 'timeout', ageSeconds: 30 });
    expect(timedOut.offer).toBe('unverified');
  });

  it.each([
    ['the agent verified it', { verified: true }, null, 'verified', 'its agent verified it'],
    ['the server check passed', {}, { ok: true, checkedMs: NOW }, 'verified', 'server check: passed'],
    ['nobody checked it', {}, null, 'unverified', 'checked by neither its agent nor the server'],
    ['the agent said goodbye', { status: 'leaving' as const }, null, 'failing', 'leaving: its agent said goodbye'],
    ['the agent fails with no reason', { status: 'failing' as const }, null, 'failing', "its agent's self-check fails"],
    ['the server could not probe it', {}, { ok: false, reason: 'not_probed: 10.0.0.1', checkedMs: NOW }, 'failing', 'server check: not probed (no public address)'],
  ] as const)('gives every state a reason: %s', (_why, hb, verification, state, reason) => {
    const row = toStatusRow(entry(1, hb, verification), NOW, 122_000);
    expect(row.state).toBe(state);
    expect(row.reason).toBe(reason);
  });

  it('says what a lookup does with an overloaded or drained cache', () => {
    expect(toStatusRow(entry(1, { load: 20_000, maxLoad: 10_000 }), NOW, 1).offer).toBe('overloaded');
    expect(toStatusRow(entry(1), NOW, 1, (id) => id === 'id00001').offer).toBe('draining');
  });

  it('uses the server default max load for caches that report none', () => {
    expect(toStatusRow(entry(1, { maxLoad: null }), NOW, 122_000).maxLoad).toBe(122_000);
  });
});

describe('selectPage over 5,000 caches', () => {
  const all = rows(5000);

  it('cuts one page and says how many pages there are', () => {
    const page = selectPage(all, query({ page: 3, per: 50 }));
    expect(page).toMatchObject({ matching: 5000, page: 3, pages: 100, offset: 100 });
    expect(page.rows).toHaveLength(50);
  });

  it('clamps a page past the end to the last one', () => {
    const page = selectPage(all, query({ page: 999, per: 250 }));
    expect(page).toMatchObject({ page: 20, offset: 4750 });
    expect(page.rows).toHaveLength(250);
  });

  it('sorts hostnames naturally (squid2 before squid10) and both ways', () => {
    const asc = selectPage(all, query({ per: 25 })).rows.map((r) => r.hostname);
    expect(asc.slice(0, 3)).toEqual(['squid0.site0.test', 'squid1.site1.test', 'squid2.site2.test']);
    const desc = selectPage(all, query({ dir: 'desc', per: 25 })).rows.map((r) => r.hostname);
    expect(desc[0]).toBe('squid4999.site9.test');
  });

  it('sorts by load fraction, most loaded first when descending', () => {
    const loads = selectPage(all, query({ sort: 'load', dir: 'desc', per: 250 })).rows.map((r) => r.load / r.maxLoad);
    expect(loads).toEqual([...loads].sort((a, b) => b - a));
  });

  it('sorts by heartbeat age, freshest first when ascending', () => {
    const ages = selectPage(all, query({ sort: 'age', per: 250 })).rows.map((r) => r.ageSeconds);
    expect(ages[0]).toBe(0);
    expect(ages).toEqual([...ages].sort((a, b) => a - b));
  });

  it('filters by text (host, site, place, address) and by state', () => {
    const site3 = selectPage(all, query({ q: 'SITE3', per: 250 }));
    expect(site3.matching).toBe(500);
    expect(site3.rows.every((r) => r.site === 'site3')).toBe(true);
    expect(selectPage(all, query({ state: 'verified' })).matching).toBe(0);
    expect(selectPage(all, query({ state: 'unverified' })).matching).toBe(5000);
  });

  it('keeps a stable order for ties, so paging never repeats or skips a row', () => {
    const seen = new Set<string>();
    for (let page = 1; page <= 20; page++) for (const r of selectPage(all, query({ sort: 'port', page, per: 250 })).rows) seen.add(r.id);
    expect(seen.size).toBe(5000);
  });

  it('counts states and load for the header', () => {
    const some = [toStatusRow(entry(1, { verified: true, load: 10 }), NOW, 1), toStatusRow(entry(2, { status: 'failing', load: 5 }), NOW, 1)];
    expect(summarise(some)).toEqual({ total: 2, verified: 1, unverified: 0, failing: 1, load: 15 });
  });
});

describe('StatusQuerySchema', () => {
  it('falls back to defaults for bad values instead of failing the page', () => {
    expect(StatusQuerySchema.parse({ sort: 'nope', dir: 'up', page: '-3', per: '7', state: 'x', q: 'a'.repeat(500) })).toEqual(DEFAULT_QUERY);
  });

  it('reads good values from query text', () => {
    expect(StatusQuerySchema.parse({ sort: 'load', dir: 'desc', page: '4', per: '100', state: 'failing', q: ' cern ' })).toEqual({
      sort: 'load',
      dir: 'desc',
      page: 4,
      per: 100,
      state: 'failing',
      q: 'cern',
    });
  });

  it('builds links that leave defaults out', () => {
    expect(hrefFor(DEFAULT_QUERY)).toBe('/');
    expect(hrefFor(DEFAULT_QUERY, { sort: 'load', dir: 'desc' })).toBe('/?sort=load&dir=desc');
    expect(hrefFor(query({ q: 'a b&c' }), { page: 2 })).toBe('/?q=a+b%26c&page=2');
  });
});

describe('formatting', () => {
  it.each([
    [0, '0 kB/s'],
    [999, '999 kB/s'],
    [97_000, '97.0 MB/s'],
    [1_250_000, '1.25 GB/s'],
  ])('load %d kB/s → %s', (kBps, text) => expect(formatLoad(kBps)).toBe(text));

  it.each([
    [0, '0 s'],
    [59, '59 s'],
    [61, '1 min'],
    [3720, '1 h 2 min'],
  ])('age %d s → %s', (seconds, text) => expect(formatAge(seconds)).toBe(text));

  it('grows markers with load, within bounds', () => {
    expect(markerRadius({ load: 0, maxLoad: 100 })).toBe(3.5);
    expect(markerRadius({ load: 100, maxLoad: 100 })).toBe(10);
    expect(markerRadius({ load: 500, maxLoad: 100 })).toBe(10);
    expect(markerRadius({ load: 25, maxLoad: 100 })).toBeGreaterThan(markerRadius({ load: 5, maxLoad: 100 }));
  });

  it('shrinks markers when there are thousands, down to 40%', () => {
    expect(densityScale(10)).toBe(1);
    expect(densityScale(1200)).toBe(0.5);
    expect(densityScale(5000)).toBe(0.4);
  });
});

describe('formatPlace', () => {
  it.each([
    [{ city: 'Geneva', countryCode: 'CH', latitude: 46.2, longitude: 6.1 }, 'Geneva, CH'],
    [{ city: null, countryCode: 'BR', latitude: -22.8, longitude: -43.2 }, 'BR'],
    [{ city: null, countryCode: null, latitude: -22.83, longitude: -43.219 }, '-22.83, -43.22'],
    [{ city: null, countryCode: null, latitude: null, longitude: null }, null],
  ])('%o → %s', (place, text) => expect(formatPlace(place)).toBe(text));
});
