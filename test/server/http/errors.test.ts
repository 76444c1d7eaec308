import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.js';

/** A server whose registry fails the way a bug would: with a message and a stack we must not show. */
async function brokenServer(lines: string[]): Promise<TestServer> {
  const logger = pino({ level: 'error' }, new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) }));
  const server = await startTestServer({ amqp: false, logger });
  // The app reads through this very object, so replacing one method breaks every route that reads.
  server.registry.snapshot = () => {
    throw new TypeError('secret internal detail: cannot read properties of undefined (reading "x")');
  };
  return server;
}

describe('error responses', () => {
  const started: TestServer[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) await s.stop();
  });

  it.each(['/api/v1/caches', '/api/v1/nearest?ip=188.184.1.1', '/nearest/3', '/all', '/wpad.dat', '/proxy.pac', '/healthz', '/readyz', '/api/v1/export/wlcg-wpad'])(
    '%s answers a bare 500 when a bug throws: no message, no stack trace (both go to the log)',
    async (path) => {
      const lines: string[] = [];
      const server = await brokenServer(lines);
      started.push(server);
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: { code: 'internal', message: 'internal server error' } });
      const logged = lines.join('');
      expect(logged).toContain('secret internal detail');
      expect(logged).toMatch(/\\n\s+at /); // the stack is in the log
    },
  );

  it('answers unknown routes and methods with the JSON error shape', async () => {
    const server = await startTestServer({ amqp: false });
    started.push(server);
    for (const [method, path] of [['GET', '/nope'], ['POST', '/api/v1/nearest'], ['DELETE', '/all']] as const) {
      const response = await fetch(`${server.url}${path}`, { method });
      expect(response.status).toBe(404);
      const body = (await response.json()) as { error: { code: string } };
      expect(body.error.code).toBe('not_found');
    }
  });
});
