import { describe, expect, it } from 'vitest';
import { legacyEntry, plainText } from '../../../server/render/legacy.js';
import { pyDumps } from '../../../server/render/python-json.js';
import type { CacheEntry, CacheLocation } from '../../../server/model/cache.js';
import { createViewCache } from '../../../server/render/view-cache.js';
import type { IpLiteral, ProxyHost } from '../../../shared/identity.js';
import { ProxyMemberError } from '../../../shared/proxy-string.js';
import { originalHeartbeat } from '../../support/server.js';
import { cacheEntry, cacheLocation, parsedHeartbeat } from '../../support/cache-entry.js';

/** The original client's regex for a field: `"key": ([^,]+)[,|}]`. */
const field = (text: string, key: string) => new RegExp(`"${key}": ([^,]+)[,|}]`).exec(text)?.[1];

const HOSTILE_TEXT = 'Vic,"toria\\\u0000\u001b\n\u2028\u2029}';

function entry(fields: Record<string, unknown> = {}, location: Partial<CacheLocation> | null = null): CacheEntry {
  return cacheEntry(parsedHeartbeat(originalHeartbeat(fields)), { location: location && cacheLocation(location) });
}

describe('original routes: entries old clients regex-parse', () => {
  it('writes free text without commas, quotes, backslashes or control characters', () => {
    expect(plainText(HOSTILE_TEXT)).toBe('Victoria}');
    expect(plainText(null)).toBeNull();
    expect(plainText(undefined)).toBeNull();
    const text = pyDumps(
      legacyEntry(entry({}, { city: HOSTILE_TEXT, regionCode: HOSTILE_TEXT, countryName: HOSTILE_TEXT, continent: HOSTILE_TEXT, timeZone: HOSTILE_TEXT, postalCode: HOSTILE_TEXT }), null),
    );
    for (const key of ['city', 'region_code', 'country_name', 'continent', 'time_zone', 'postal_code']) expect(field(text, key)).toBe('"Victoria}"');
    expect(text).not.toMatch(/\\u00|\\u202|\\n|\\"/);
  });

  it('reads back every typed field with the regex, as the original client does', () => {
    const text = pyDumps(legacyEntry(entry({ hostname: 'Squid.UVic.test', public_ip: '::ffff:142.104.1.1', cache_port: '3129' }), null));
    expect(field(text, 'hostname')).toBe('"squid.uvic.test"');
    expect(field(text, 'squid_port')).toBe('3129');
    expect(field(text, 'public_ip')).toBe('"142.104.1.1"');
    expect(field(text, 'private_ip')).toBe('"10.1.2.3"');
  });

  it.each([
    ['hostname', '$(touch${IFS}/tmp/x)'],
    ['hostname', 'a,b'],
    ['hostname', 'x)(proxyurl=http://rogue.example:3128'],
    ['publicIp', 'fe80::1%a,b'],
    ['externalIp', '142.104.1.1"'],
    ['privateIp', 'fe80::1%eth0'],
  ])('throws when a %s is cast past the types: %j', (key, value) => {
    const e = entry();
    const bad = { ...e, heartbeat: { ...e.heartbeat, [key]: value as ProxyHost & IpLiteral } };
    expect(() => legacyEntry(bad, null)).toThrow(ProxyMemberError);
    expect(() => createViewCache().legacyPythonUnranked(bad, 122_000)).toThrow(ProxyMemberError);
    expect(() => createViewCache().legacyPython({ entry: bad, score: 0.5, local: false, maxLoad: 122_000 })).toThrow(ProxyMemberError);
  });

  it('serialises an entry outside a lookup once, as legacyEntry with no ranking', () => {
    const views = createViewCache();
    const e = entry({}, {});
    expect(views.legacyPythonUnranked(e, 122_000)).toBe(pyDumps(legacyEntry(e, null)));
    expect(views.legacyPythonUnranked(e, 122_000)).toBe(views.legacyPythonUnranked(e, 122_000));
  });

  it('writes local true for a local cache and null otherwise, never false (the original client reads false as true)', () => {
    const e = entry({}, {});
    const local = (ranked: { score: number; local: boolean; maxLoad: number } | null) => field(pyDumps(legacyEntry(e, ranked)), 'local');
    expect(local({ score: 0.5, local: true, maxLoad: 122_000 })).toBe('true');
    expect(local({ score: 0.5, local: false, maxLoad: 122_000 })).toBe('null');
    expect(local(null)).toBe('null');
    const views = createViewCache();
    expect(field(views.legacyPython({ entry: e, score: 0.5, local: false, maxLoad: 122_000 }), 'local')).toBe('null');
    expect(field(views.legacyPython({ entry: e, score: 0.5, local: true, maxLoad: 122_000 }), 'local')).toBe('true');
    expect(field(views.legacyPythonUnranked(e, 122_000), 'local')).toBe('null');
  });

  it('writes max_load as a number: the one ranked against, else the agent’s, else the default (never null)', () => {
    const unknown = entry({ max_load: -112 }, {});
    const own = entry({ max_load: '5000' }, {});
    const views = createViewCache();
    expect(field(pyDumps(legacyEntry(unknown, null)), 'max_load')).toBe('122000');
    expect(field(views.legacyPythonUnranked(unknown, 90_000), 'max_load')).toBe('90000');
    expect(field(views.legacyPythonUnranked(own, 90_000), 'max_load')).toBe('5000');
    expect(field(views.legacyPython({ entry: unknown, score: 0.5, local: false, maxLoad: 90_000 }), 'max_load')).toBe('90000');
    // A template made for one max load is not served for another.
    expect(field(views.legacyPython({ entry: unknown, score: 0.5, local: false, maxLoad: 70_000 }), 'max_load')).toBe('70000');
  });
});
