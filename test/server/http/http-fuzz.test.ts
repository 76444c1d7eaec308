import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOTYPE_KEYS } from '../../support/adversarial.js';
import { addCache, PLACES, startAppServer } from '../../support/app.js';
import type { TestServer } from '../../support/server.js';

/**
 * Every HTTP route's parameters under thousands of random and adversarial inputs: no 5xx, no stack trace,
 * the right 4xx for a bad parameter, 200 for a good one, and no change to the registry or the drain list.
 */

const ADMIN_TOKEN = 'fuzz-admin-token-0123456789';

type Choice = { kind: 'absent' } | { kind: 'valid' | 'invalid'; value: string };
type ParamSpec = Record<string, fc.Arbitrary<Choice>>;

const choice = (valid: fc.Arbitrary<string>, invalid: fc.Arbitrary<string>): fc.Arbitrary<Choice> =>
  fc.oneof(
    fc.constant({ kind: 'absent' } as const),
    valid.map((value) => ({ kind: 'valid', value }) as const),
    invalid.map((value) => ({ kind: 'invalid', value }) as const),
  );

const NON_NUMBERS = ['', ' ', 'NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '0x10', '0b1', '1,5', 'abc', '1e', '--1', '+-1', ' 5', '5 ', '١٢', '9'.repeat(40)];

const coordinate = (limit: number) =>
  choice(
    fc.double({ min: -limit, max: limit, noNaN: true }).map(String),
    fc.oneof(fc.constantFrom(...NON_NUMBERS), fc.double({ min: limit, max: 1e300, noNaN: true, minExcluded: true }).chain((d) => fc.constantFrom(String(d), String(-d)))),
  );

const count = choice(
  fc.integer({ min: 1, max: 100 }).map(String),
  fc.oneof(fc.constantFrom(...NON_NUMBERS, '0', '101', '1.5', '-1', '1e3'), fc.integer({ min: 101 }).map(String), fc.integer({ max: 0 }).map(String)),
);

const ip = choice(
  fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4().map((a) => `::ffff:${a}`)),
  fc.oneof(
    fc.constantFrom('', '999.1.1.1', '1.2.3', '1.2.3.4/24', '::ffff:999.1.1.1', 'localhost', 'x'.repeat(65), '1.2.3.4.5', '::g'),
    fc.string({ maxLength: 30 }).filter((s) => !/^[0-9a-fA-F:.%]*$/.test(s)),
  ),
);

const enumChoice = (valid: string[], invalid: string[]) => choice(fc.constantFrom(...valid), fc.constantFrom(...invalid));
const flag = enumChoice(['true', 'false'], ['', 'True', '1', 'yes']);

const NEAREST: ParamSpec = {
  count,
  ip,
  lat: coordinate(90),
  lon: coordinate(180),
  upstream: enumChoice(['cvmfs', 'frontier', 'any'], ['', 'CVMFS', 'both', 'x', '__proto__']),
  type: enumChoice(['squid', 'varnish', 'any'], ['', 'Squid', 'nginx', 'constructor']),
  verified: flag,
  format: enumChoice(['json', 'cvmfs', 'frontier', 'pac', 'text'], ['', 'JSON', 'xml', 'toString']),
};
const PAC: ParamSpec = { count, ip, lat: coordinate(90), lon: coordinate(180), loadbalance: flag };

const unknownParam = fc.option(
  fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, 'IP', 'Count', 'lat ', 'count[]'), fc.string({ minLength: 1, maxLength: 20 })), fc.string({ maxLength: 20 })),
  { nil: undefined },
);

/** A query built from a spec, and the parameters a correct server must name as wrong (empty: 200). */
function queryOf(spec: ParamSpec) {
  return fc.record({ params: fc.record(spec), extra: unknownParam }).map(({ params, extra }) => {
    const query = new URLSearchParams();
    const invalid = new Set<string>();
    for (const [name, c] of Object.entries(params)) {
      if (c.kind === 'absent') continue;
      query.append(name, c.value);
      if (c.kind === 'invalid') invalid.add(name);
    }
    if (extra && !(extra[0] in spec)) {
      query.append(extra[0], extra[1]);
      invalid.add(extra[0]).add('query');
    }
    if ((params.lat?.kind === 'absent') !== (params.lon?.kind === 'absent')) invalid.add('lat');
    return { query: query.toString(), invalid, params };
  });
}

/** A V8 stack frame: "    at fn (file:line:col)", raw or JSON-escaped. */
const STACK_FRAME = /(\n|\\n)\s+at \S|\([^()]*:\d+:\d+\)/;

describe('HTTP routes under hostile parameters', () => {
  let server: TestServer;
  let before: string;

  /** In-process request; checks what holds for every answer of every route. */
  const request = async (path: string, init?: RequestInit) => {
    const response = await server.app.request(path, init);
    const text = await response.text();
    expect(response.status, `${path} → ${text}`).toBeLessThan(500);
    expect(text).not.toMatch(STACK_FRAME);
    return { status: response.status, text, type: response.headers.get('content-type') };
  };

  const expectBadRequest = (answer: { status: number; text: string }, named?: Set<string>) => {
    expect(answer.status, answer.text).toBe(400);
    const body = JSON.parse(answer.text) as { error: { code: string; message: string; field?: string } };
    expect(body.error.code).toBe('bad_request');
    expect(typeof body.error.message).toBe('string');
    if (named) expect([...named], answer.text).toContain(body.error.field);
  };

  const state = () => JSON.stringify([server.registry.snapshot(), server.drains.ids()]);

  beforeAll(async () => {
    // by-load: a PAC file for a valid query whatever the caller (anchor's 400 for unplaced callers: unknown-caller.test.ts).
    server = await startAppServer({ adminToken: ADMIN_TOKEN, unknownCaller: 'by-load' });
    await addCache(server, { hostname: 'a.uvic.test', public_ip: PLACES.victoria });
    await addCache(server, { hostname: 'b.cern.test', public_ip: PLACES.cern, upstream: 'cvmfs', site: 'cern', networks: ['188.184.0.0/15'] });
    before = state();
  });

  afterAll(async () => {
    expect(state()).toBe(before);
    await server?.stop();
  });

  it('/api/v1/nearest: 200 exactly when every parameter is valid, else 400 naming a bad one', async () => {
    await fc.assert(
      fc.asyncProperty(queryOf(NEAREST), async ({ query, invalid, params }) => {
        const answer = await request(`/api/v1/nearest?${query}`);
        if (invalid.size > 0) {
          expectBadRequest(answer, invalid);
          return;
        }
        expect(answer.status, `${query} → ${answer.text}`).toBe(200);
        const format = params.format?.kind === 'valid' ? params.format.value : 'json';
        if (format === 'json') expect(Array.isArray((JSON.parse(answer.text) as { caches: unknown[] }).caches)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it.each(['/wpad.dat', '/proxy.pac'])('%s: a PAC file exactly when every parameter is valid, else 400 naming a bad one', async (route) => {
    await fc.assert(
      fc.asyncProperty(queryOf(PAC), async ({ query, invalid }) => {
        const answer = await request(`${route}?${query}`);
        if (invalid.size > 0) {
          expectBadRequest(answer, invalid);
          return;
        }
        expect(answer.status, `${query} → ${answer.text}`).toBe(200);
        expect(answer.type).toBe('application/x-ns-proxy-autoconfig');
        expect(answer.text).toContain('function FindProxyForURL(url, host)');
      }),
      { numRuns: 1000 },
    );
  });

  it.each(['/api/v1/caches', '/api/v1/export/wlcg-wpad'])('%s: 200 without parameters, 400 with any', async (route) => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.string({ minLength: 1, maxLength: 20 })), fc.string({ maxLength: 20 }), { maxKeys: 3 }), async (dict) => {
        const query = new URLSearchParams(Object.entries(dict)).toString();
        const answer = await request(`${route}?${query}`);
        if (Object.keys(dict).length === 0) expect(answer.status).toBe(200);
        else expectBadRequest(answer);
      }),
      { numRuns: 500 },
    );
  });

  it('every route: raw, unencoded query strings get a 200 or a 400, never more', async () => {
    const route = fc.constantFrom('/api/v1/nearest', '/api/v1/caches', '/api/v1/export/wlcg-wpad', '/wpad.dat', '/proxy.pac', '/healthz', '/readyz', '/metrics', '/openapi.json', '/all', '/nearest/3/', '/nearestcvmfs');
    await fc.assert(
      fc.asyncProperty(route, fc.string({ unit: 'binary', maxLength: 200 }), async (path, raw) => {
        const answer = await request(`${path}?${raw.replace(/#/g, '%23')}`);
        expect([200, 400]).toContain(answer.status);
        if (['/healthz', '/readyz', '/metrics', '/openapi.json', '/all', '/nearest/3/', '/nearestcvmfs'].includes(path)) expect(answer.status).toBe(200);
      }),
      { numRuns: 2000 },
    );
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
        const encoded = seg.startsWith('%') ? seg : encodeURIComponent(seg);
        const answer = await request(`/${name}/${encoded}${slash ? '/' : ''}`);
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
  });

  it('CVMFS geo API: a malformed repository, client or server list gets a 400', async () => {
    // Valid names are addresses or single labels only: multi-label names would go to DNS.
    const goodName = fc.oneof(fc.ipV4(), fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/));
    const dots = (n: string) => n !== '.' && n !== '..';
    const badName = fc.oneof(fc.constantFrom('', 'a b', 'a/b', 'ä', 'x'.repeat(256), '<script>', ...PROTOTYPE_KEYS.map((k) => `${k}!`)), fc.string({ minLength: 1, maxLength: 20 }).filter((s) => /[^0-9a-zA-Z.:_-]/.test(s))).filter(dots);
    const list = (name: fc.Arbitrary<string>) => fc.array(name, { minLength: 1, maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(
        // "." and ".." segments are resolved by the URL parser before any route sees them.
        fc.oneof(fc.stringMatching(/^[a-z.]{1,20}$/), badName).filter((r) => r !== '.' && r !== '..'),
        fc.oneof(goodName, badName),
        fc.oneof(list(goodName), list(fc.oneof(goodName, badName)), fc.constant(Array.from({ length: 101 }, (_, i) => `s${i}`))),
        async (repo, client, servers) => {
          const path = `/cvmfs/${encodeURIComponent(repo)}/api/v1.0/geo/${encodeURIComponent(client)}/${servers.map(encodeURIComponent).join(',')}`;
          const answer = await request(path);
          const wellFormed =
            /^[0-9a-zA-Z._-]{1,255}$/.test(repo) && /^[0-9a-zA-Z.:_-]{1,255}$/.test(client) && servers.length <= 100 && servers.every((s) => /^[0-9a-zA-Z.:_-]{1,255}$/.test(s));
          if (!wellFormed) {
            expect([400, 404]).toContain(answer.status);
            return;
          }
          expect([200, 400]).toContain(answer.status);
          if (answer.status === 200) expect(answer.text).toMatch(/^\d+(,\d+)*\n$/);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('admin routes: a wrong token gets 401, a bad id 400, an unknown one 404, and nothing changes', async () => {
    const token = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', ADMIN_TOKEN.slice(0, -1), `${ADMIN_TOKEN}x`, ADMIN_TOKEN.toUpperCase()));
    const id = fc.oneof(fc.stringMatching(/^[a-z0-9]{1,20}$/), fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom(...PROTOTYPE_KEYS, 'x'.repeat(200)));
    const route = fc.constantFrom(['GET', '/drains'], ['DELETE', '/caches/:id'], ['POST', '/caches/:id/drain'], ['DELETE', '/caches/:id/drain']);
    await fc.assert(
      fc.asyncProperty(route, fc.option(token, { nil: undefined }), id, async ([method, template], given, cacheId) => {
        const path = `/api/v1/admin${template.replace(':id', encodeURIComponent(cacheId))}`;
        const headers: Record<string, string> = given === undefined ? {} : { Authorization: `Bearer ${given}` };
        const answer = await request(path, { method, headers });
        expect(answer.status).toBe(401);
        const right = await request(path, { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
        if (template === '/drains') {
          expect(right.status).toBe(200);
          return;
        }
        expect([400, 404]).toContain(right.status);
        if (right.status === 400) expect(cacheId).not.toMatch(/^[\w.:-]{1,128}$/);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses an over-long URL on every route with a 400', async () => {
    for (const route of ['/api/v1/nearest', '/api/v1/caches', '/nearest/5', '/wpad.dat', '/proxy.pac', '/healthz', '/readyz', '/metrics', '/cvmfs/r/api/v1.0/geo/a/b']) {
      const answer = await request(`${route}?pad=${'a'.repeat(3000)}`);
      expectBadRequest(answer);
      expect(JSON.parse(answer.text).error.field).toBe('query');
    }
  });

  it('leaves Object.prototype alone', () => {
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
