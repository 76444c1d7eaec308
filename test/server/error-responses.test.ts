import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../shared/clock.js';
import { createMemoryRegistry } from '../../server/registry/memory.js';
import type { Registry } from '../../server/registry/types.js';
import { createTestApp } from '../support/app.js';

/** A registry whose reads fail the way a bug would: with a message and a stack we must not show. */
function brokenRegistry(): Registry {
  const inner = createMemoryRegistry({ ttlMs: 1000, clock: createManualClock() });
  return {
    ...inner,
    snapshot() {
      throw new TypeError('secret internal detail: cannot read properties of undefined (reading "x")');
    },
  };
}

describe('error responses', () => {
  it.each(['/api/v1/caches', '/api/v1/nearest?ip=188.184.1.1', '/nearest/3', '/all', '/wpad.dat', '/healthz', '/readyz'])(
    '%s answers a bare 500 when a bug throws: no message, no stack trace (both go to the log)',
    async (path) => {
      const lines: string[] = [];
      const logger = pino({ level: 'error' }, new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) }));
      const { app } = await createTestApp({ registry: brokenRegistry(), logger });
      const response = await app.request(path);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: { code: 'internal', message: 'internal server error' } });
      const logged = lines.join('');
      expect(logged).toContain('secret internal detail');
      expect(logged).toMatch(/\\n\s+at /); // the stack is in the log
    },
  );

  it('answers unknown routes and methods with the JSON error shape', async () => {
    const { app } = await createTestApp();
    for (const [method, path] of [['GET', '/nope'], ['POST', '/api/v1/nearest'], ['DELETE', '/all']] as const) {
      const response = await app.request(path, { method });
      expect(response.status).toBe(404);
      const body = (await response.json()) as { error: { code: string } };
      expect(body.error.code).toBe('not_found');
    }
  });
});
