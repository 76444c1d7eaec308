import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROTOTYPE_KEYS } from '../../support/adversarial.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { uvicHeartbeat } from '../../support/security.js';

/**
 * Every HTTP route's parameters under thousands of random and adversarial inputs: no 5xx, no stack trace,
 * the right 4xx for a bad parameter, 200 for a good one, and the registry untouched.
 */

type Choice = { kind: 'absent' } | { kind: 'valid' | 'invalid'; value: string };

const choice = (valid: fc.Arbitrary<string>, invalid: fc.Arbitrary<string>): fc.Arbitrary<Choice> =>
  fc.oneof(
    fc.constant({ kind: 'absent' } as const),
    valid.map((value) => ({ kind: 'valid', value }) as const),
    invalid.map((value) => ({ kind: 'invalid', value }) as const),
  );

const NON_NUMBERS = ['', ' ', 'NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '0x10', '1,5', 'abc', '1e', '--1', '+-1', '١٢', '9'.repeat(40)];

const coordinate = (limit: number) =>
  choice(
    fc.double({ min: -limit, max: limit, noNaN: true }).map(String),
    fc.oneof(fc.constantFrom(...NON_NUMBERS), fc.double({ min: limit, max: 1e300, noNaN: true, minExcluded: true }).chain((d) => fc.constantFrom(String(d), String(-d)))),
  );

const nearestQuery = fc.record({
  count: choice(
    fc.integer({ min: 1, max: 100 }).map(String),
    fc.oneof(fc.constantFrom(...NON_NUMBERS, '0', '101', '1.5', '-1', '1e3'), fc.integer({ min: 101 }).map(String), fc.integer({ max: 0 }).map(String)),
  ),
  ip: choice(
    fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4().map((ip) => `::ffff:${ip}`)),
    fc.oneof(fc.constantFrom('', '999.1.1.1', '1.2.3', '1.2.3.4/24', '::ffff:999.1.1.1', 'localhost', 'x'.repeat(65), '1.2.3.4.5', '::g'), fc.string({ maxLength: 30 }).filter((s) => !/^[0-9a-fA-F:.]*$/.test(s))),
  ),
  lat: coordinate(90),
  lon: coordinate(180),
  upstream: choice(fc.constantFrom('cvmfs', 'frontier', 'any'), fc.constantFrom('', 'CVMFS', 'both', 'x', '__proto__')),
  type: choice(fc.constantFrom('squid', 'varnish', 'any'), fc.constantFrom('', 'Squid', 'nginx', 'constructor')),
  verified: choice(fc.constantFrom('true', 'false'), fc.constantFrom('', 'True', '1', 'yes')),
  extra: fc.option(
    fc.tuple(
      fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, 'IP', 'Count', 'lat ', 'count[]'), fc.string({ minLength: 1, maxLength: 20 })),
      fc.string({ maxLength: 20 }),
    ),
    { nil: undefined },
  ),
});

const KNOWN = new Set(['count', 'ip', 'lat', 'lon', 'upstream', 'type', 'verified']);

const STACK_FRAME = /\n\s+at |\.ts:\d+|\.js:\d+|node_modules/;

let t: TestApp;

/** Requests in process; checks what holds for every answer of every route. */
async function get(path: string): Promise<{ status: number; text: string; type: string | null }> {
  const response = await t.app.request(path);
  const text = await response.text();
  expect(response.status).toBeLessThan(500);
  expect(text).not.toMatch(STACK_FRAME);
  return { status: response.status, text, type: response.headers.get('content-type') };
}

function expectBadRequest(answer: { status: number; text: string }) {
  expect(answer.status).toBe(400);
  const body = JSON.parse(answer.text) as { error: { code: string; message: string; field?: string } };
  expect(body.error.code).toBe('bad_request');
  expect(typeof body.error.message).toBe('string');
}

describe('HTTP routes under hostile parameters', () => {
  let before: string;

  beforeAll(async () => {
    t = await createTestApp();
    const now = t.clock.now();
    await t.ingest.handle(JSON.stringify(uvicHeartbeat('cache-a', now)));
    await t.ingest.handle(JSON.stringify(uvicHeartbeat('cache-b', now, { hostname: 'b.uvic.ca', public_ip: '188.184.1.1', upstream: 'cvmfs' })));
    before = JSON.stringify(t.registry.snapshot());
  });

  const registryUnchanged = () => expect(JSON.stringify(t.registry.snapshot())).toBe(before);

  it('/api/v1/nearest: 200 exactly when every parameter is valid, else 400 naming one', async () => {
    await fc.assert(
      fc.asyncProperty(nearestQuery, async (q) => {
        const params = new URLSearchParams();
        const invalid = new Set<string>();
        for (const [name, c] of Object.entries(q)) {
          if (name === 'extra' || c === undefined || typeof c !== 'object' || Array.isArray(c) || c.kind === 'absent') continue;
          params.append(name, c.value);
          if (c.kind === 'invalid') invalid.add(name);
        }
        if (q.extra && !KNOWN.has(q.extra[0])) {
          params.append(q.extra[0], q.extra[1]);
          invalid.add('query');
        }
        if ((q.lat.kind === 'absent') !== (q.lon.kind === 'absent')) invalid.add('lat');
        const answer = await get(`/api/v1/nearest?${params.toString()}`);
        if (invalid.size === 0) {
          expect(answer.status, answer.text).toBe(200);
          expect(Array.isArray((JSON.parse(answer.text) as { caches: unknown[] }).caches)).toBe(true);
        } else {
          expectBadRequest(answer);
          expect([...invalid], `${params} → ${answer.text}`).toContain((JSON.parse(answer.text) as { error: { field: string } }).error.field);
        }
      }),
      { numRuns: 2000 },
    );
    registryUnchanged();
  });

  it('/api/v1/nearest: raw, unencoded query strings never get past a 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (raw) => {
        const answer = await get(`/api/v1/nearest?${raw.replace(/#/g, '%23')}`);
        expect([200, 400]).toContain(answer.status);
      }),
      { numRuns: 1500 },
    );
    registryUnchanged();
  });

  it('original routes: a count of digits answers 200, anything else 404, as the original', async () => {
    const segment = fc.oneof(
      fc.stringMatching(/^[0-9]{1,30}$/),
      fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s !== '.' && s !== '..'),
      fc.constantFrom('-1', '1.5', '1e3', 'NaN', '0x10', '%', '%zz', '%E0%A4%A', ...PROTOTYPE_KEYS),
    );
    const route = fc.constantFrom('nearest', 'nearestverified', 'nearestcvmfs', 'nearestconditions', 'all');
    await fc.assert(
      fc.asyncProperty(route, segment, fc.boolean(), async (name, seg, slash) => {
        const encoded = /^%/.test(seg) ? seg : encodeURIComponent(seg);
        const answer = await get(`/${name}/${encoded}${slash ? '/' : ''}`);
        if (/^[0-9]+$/.test(seg)) {
          expect(answer.status).toBe(200);
          expect(answer.type).toBe('application/json');
          expect(answer.text === 'null' || answer.text.startsWith('{"0": {')).toBe(true);
        } else {
          expect(answer.status).toBe(404);
        }
      }),
      { numRuns: 1500 },
    );
    registryUnchanged();
  });

  it('/wpad.dat, /healthz, /readyz, /api/v1/caches and /all ignore whatever query they are given', async () => {
    const path = fc.constantFrom('/wpad.dat', '/healthz', '/readyz', '/api/v1/caches', '/all', '/nearest/3/');
    await fc.assert(
      fc.asyncProperty(path, fc.string({ unit: 'binary', maxLength: 300 }), async (route, raw) => {
        const answer = await get(`${route}?${raw.replace(/#/g, '%23')}`);
        expect(answer.status).toBe(200);
        if (route === '/wpad.dat') expect(answer.text).toMatch(/^function FindProxyForURL\(url, host\)/);
      }),
      { numRuns: 1500 },
    );
    registryUnchanged();
  });

  it('refuses an over-long URL on every route with a 400', async () => {
    for (const route of ['/api/v1/nearest', '/api/v1/caches', '/nearest/5', '/wpad.dat', '/healthz', '/readyz']) {
      const answer = await get(`${route}?pad=${'a'.repeat(3000)}`);
      expectBadRequest(answer);
      expect(JSON.parse(answer.text).error.field).toBe('query');
    }
  });

  it('leaves Object.prototype alone', () => {
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
