import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { originalHeartbeat, startTestServer, type TestServer } from './server.js';
import { makeTempDir } from './temp.js';

/** Well-known addresses and what the bundled GeoLite2 database says of them. */
export const PLACES = {
  victoria: '142.104.1.1', // University of Victoria, BC
  tokyo: '133.11.0.1', // University of Tokyo
  cern: '188.184.1.1', // CERN, Geneva
} as const;

/** A server without AMQP (heartbeats go straight into ingest), on a loopback port of its own. */
export async function startAppServer(flags: Record<string, unknown> = {}): Promise<TestServer> {
  return startTestServer({ amqp: false, flags });
}

/**
 * Adds a cache as if its agent had sent this heartbeat (original fields plus extensions); returns its id.
 * Stamped with the server's clock, as an agent on time stamps it (a test that moved its clock far ahead
 * would otherwise send a heartbeat the server refuses as stale).
 */
export async function addCache(server: TestServer, fields: Record<string, unknown>): Promise<string> {
  const hb = originalHeartbeat({ timestamp: server.clock.now() / 1000, ...fields });
  const result = await server.ingest.handle(hb);
  if (!result.ok) throw new Error(`test heartbeat rejected: ${result.reason}`);
  return hb.uuid as string;
}

/** A coverage file in a temporary directory. */
export async function writeCoverage(coverage: Record<string, string[]>): Promise<string> {
  const dir = await makeTempDir('shoal-coverage-');
  const path = join(dir, 'coverage.json');
  await writeFile(path, JSON.stringify(coverage));
  return path;
}

export async function getJson<T = Record<string, unknown>>(server: TestServer, path: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await server.app.request(path, init);
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}
