import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createCoverageLocality, type WatchedLocality } from '../../../server/geo/coverage-sites.js';
import { addCache, getJson, PLACES, writeCoverage } from '../../support/app.js';
import { startTestServer, waitFor, type TestServer } from '../../support/server.js';
import { makeTempDir } from '../../support/temp.js';

/** A logger whose lines the test reads. */
function recordingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { logger, lines };
}

describe('the coverage file follows its file on disk', () => {
  let dir: string;
  let path: string;
  let locality: WatchedLocality | undefined;

  beforeAll(async () => {
    dir = await makeTempDir('shoal-coverage-watch-');
    path = join(dir, 'coverage.json');
  });
  afterEach(() => locality?.close());

  it('loads a file replaced by a rename, without a restart: sites and the verifier\'s networks follow', async () => {
    await writeFile(path, JSON.stringify({ uvic: ['142.104.0.0/16'] }));
    const { logger } = recordingLogger();
    locality = createCoverageLocality({ path, intervalMs: 50, logger });
    expect(locality.index([]).sitesOf('142.104.9.9')).toEqual(['uvic']);
    expect(locality.networks.has('142.104.9.9')).toBe(true);

    const next = join(dir, 'incoming.json');
    await writeFile(next, JSON.stringify({ tokyo: ['133.11.0.0/16'] }));
    await rename(next, path);
    await waitFor(() => locality?.reloads() === 1, { what: 'the new coverage file to be loaded' });
    expect(locality.index([]).sitesOf('142.104.9.9')).toEqual([]);
    expect(locality.index([]).sitesOf('133.11.0.1')).toEqual(['tokyo']);
    expect(locality.networks.has('142.104.9.9')).toBe(false);
    expect(locality.networks.has('133.11.0.1')).toBe(true);
  });

  it('keeps the coverage in use when the new file is not valid, and logs why', async () => {
    await writeFile(path, JSON.stringify({ uvic: ['142.104.0.0/16'] }));
    const { logger, lines } = recordingLogger();
    locality = createCoverageLocality({ path, intervalMs: 3_600_000, logger });
    for (const bad of ['{"uvic": ["142.104.0.0/16"', JSON.stringify({ uvic: ['142.104.0.0/99'] })]) {
      await writeFile(path, bad);
      expect(locality.reload()).toBe(false);
      expect(locality.index([]).sitesOf('142.104.9.9')).toEqual(['uvic']);
      expect(locality.networks.has('142.104.9.9')).toBe(true);
    }
    expect(locality.reloads()).toBe(0);
    const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings).toEqual(['coverage file changed but does not load; keeping the one in use', 'coverage file changed but does not load; keeping the one in use']);
    // Fixed: taken at the next change.
    await writeFile(path, JSON.stringify({ uvic: ['142.104.0.0/16'], cern: ['188.184.0.0/16'] }));
    expect(locality.reload()).toBe(true);
    expect(locality.index([]).sitesOf('188.184.1.1')).toEqual(['cern']);
  });
});

describe('a server whose coverage file changes', () => {
  let server: TestServer;
  let path: string;
  beforeAll(async () => {
    path = await writeCoverage({ uvic: ['142.104.0.0/16'] });
    server = await startTestServer({ amqp: false, flags: { coverageFile: path, coverageCheckInterval: 0.1 } });
    await addCache(server, { hostname: 'squid.uvic.test', external_ip: PLACES.victoria, private_ip: '10.1.2.3' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const nearest = async (ip: string) =>
    (await getJson<{ caller: { site: string | null }; caches: { hostname: string; local: boolean }[] }>(server, `/api/v1/nearest?ip=${ip}`)).body;

  it('answers with the new sites once the file changed', async () => {
    expect((await nearest('142.104.5.5')).caller.site).toBe('uvic');
    expect((await nearest('142.104.5.5')).caches[0]).toMatchObject({ hostname: 'squid.uvic.test', local: true });
    await writeFile(path, JSON.stringify({ uvic: ['142.105.0.0/16'] }));
    await waitFor(async () => (await nearest('142.105.5.5')).caller.site === 'uvic', { what: 'the changed coverage in lookups' });
    expect((await nearest('142.104.5.5')).caller.site).toBeNull();
  });
});
