import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asciiJson } from '../../../server/render/ascii-json.js';
import { addCache, startAppServer } from '../../support/app.js';
import type { TestServer } from '../../support/server.js';

/** Text with no character beyond U+007F. */
const ASCII_ONLY = /^[^\u0080-\uffff]*$/;

describe('asciiJson', () => {
  it('escapes non-ASCII characters as Python does, and leaves ASCII text as it is', () => {
    expect(asciiJson('{"country":"Curaçao"}')).toBe('{"country":"Cura\\u00e7ao"}');
    expect(asciiJson('"😀"')).toBe('"\\ud83d\\ude00"');
    const plain = '{"a":"b\\u00e7"}';
    expect(asciiJson(plain)).toBe(plain);
  });

  it('gives the same JSON value for any value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = asciiJson(JSON.stringify(value));
        expect(text).toMatch(ASCII_ONLY);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('/api/v1/nearest answers in ASCII', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAppServer();
    // GeoLite2 places this cache in Curaçao and the caller in Córdoba.
    await addCache(server, { hostname: 'curacao.test', external_ip: '190.88.0.1' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('escapes the names of places, whatever the parser reads back', async () => {
    const response = await server.app.request('/api/v1/nearest?ip=200.16.16.1');
    const text = await response.text();
    expect(text).toMatch(ASCII_ONLY);
    expect(text).toContain('Cura\\u00e7ao');
    const body = JSON.parse(text) as { caller: { city: string }; caches: { hostname: string; location: { country_name: string } }[] };
    expect(body.caller.city).toBe('Córdoba');
    expect(body.caches[0]?.location.country_name).toBe('Curaçao');
  });
});
