import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createErrorHandler } from '../../../server/http/errors.js';
import { NearestQuerySchema } from '../../../server/http/query.js';
import { createQueryParser } from '../../../server/http/query-parser.js';
import { createSilentLogger } from '../../../shared/logger.js';

function app() {
  const parse = createQueryParser(NearestQuerySchema);
  const seen: object[] = [];
  const hono = new Hono();
  hono.get('/q', (c) => {
    const q = parse(c);
    seen.push(q);
    return c.json(q);
  });
  hono.onError(createErrorHandler(createSilentLogger()));
  return { hono, seen };
}

describe('remembered query parsing', () => {
  it.each(['', '?count=3', '?format=text', '?ip=8.8.8.8&count=2', '?lat=10&lon=20', '?verified=true&upstream=cvmfs&type=squid', '?count=07', '?ip=%3A%3Affff%3A1.2.3.4'])(
    'answers %j as the schema does, the first time and the next',
    async (query) => {
      const { hono, seen } = app();
      const expected = NearestQuerySchema.parse(Object.fromEntries(new URL(`http://x/q${query}`).searchParams));
      for (let i = 0; i < 2; i++) {
        const response = await hono.request(`/q${query}`);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual(JSON.parse(JSON.stringify(expected)));
      }
      expect(seen[1]).toBe(seen[0]);
      expect(Object.isFrozen(seen[0])).toBe(true);
    },
  );

  it('does not remember failures, and keeps working past its size', async () => {
    const { hono } = app();
    for (let i = 0; i < 2; i++) expect((await hono.request('/q?count=0')).status).toBe(400);
    for (let n = 1; n <= 600; n++) expect((await hono.request(`/q?lat=${n / 10}&lon=1`)).status).toBe(200);
    expect(await (await hono.request('/q?lat=0.1&lon=1')).json()).toMatchObject({ lat: 0.1, lon: 1 });
  });
});
