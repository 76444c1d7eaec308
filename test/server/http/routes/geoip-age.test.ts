import { describe, expect, it } from 'vitest';
import { bundledGeoIpPath, openGeoIp } from '../../../../server/geo/geoip.js';
import { createSilentLogger } from '../../../../shared/logger.js';
import { getJson } from '../../../support/app.js';
import { createManualClock } from '../../../support/clock.js';
import { startTestServer } from '../../../support/server.js';

const DAY = 86_400_000;
const BUILT = (await openGeoIp(bundledGeoIpPath(), createSilentLogger())).builtAt();

interface Ready {
  status: string;
  geoip: { loaded: boolean; path: string; built: string; age_days: number; stale: boolean };
}

describe('how old the GeoIP database is, where an operator looks', () => {
  it('/readyz gives its age in days and stale past --geoip-stale-days, by the injected clock', async () => {
    const clock = createManualClock(BUILT + 90 * DAY);
    const server = await startTestServer({ amqp: false, clock });
    try {
      const fresh = await getJson<Ready>(server, '/readyz');
      expect(fresh.status).toBe(200);
      expect(fresh.body.geoip).toEqual({ loaded: true, path: bundledGeoIpPath(), built: new Date(BUILT).toISOString(), age_days: 90, stale: false });
      // Stale is a notice, not a reason to take the replica out of a balancer.
      clock.advance(DAY);
      const stale = await getJson<Ready>(server, '/readyz');
      expect(stale.status).toBe(200);
      expect(stale.body.status).toBe('ok');
      expect(stale.body.geoip).toMatchObject({ age_days: 91, stale: true });
    } finally {
      await server.stop();
    }
  });

  it('/readyz takes the limit from --geoip-stale-days', async () => {
    const server = await startTestServer({ amqp: false, clock: createManualClock(BUILT + 20 * DAY), flags: { geoipStaleDays: 14 } });
    try {
      expect((await getJson<Ready>(server, '/readyz')).body.geoip).toMatchObject({ age_days: 20, stale: true });
    } finally {
      await server.stop();
    }
  });

  it('the status page shows a notice with the build date and age while the database is stale, none once it is not', async () => {
    const clock = createManualClock(BUILT + 2400 * DAY);
    const server = await startTestServer({ amqp: false, clock });
    try {
      const html = await (await server.app.request('/')).text();
      const notice = /<p id="geoip-notice"[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
      expect(notice).toContain(`built ${new Date(BUILT).toISOString().slice(0, 10)}, 2,400 days ago`);
      expect(notice).toContain('geoipupdate');
      expect(notice).toContain('--geoip-database');
      expect(notice).toContain('docs/operations.md');
      // The metric stays: the age in seconds from the same build time.
      const metrics = await (await server.app.request('/metrics')).text();
      expect(Number(/^shoal_geoip_database_age_seconds (\S+)$/m.exec(metrics)?.[1])).toBe((2400 * DAY) / 1000);
      clock.set(BUILT + 10 * DAY);
      expect(await (await server.app.request('/')).text()).not.toContain('geoip-notice');
    } finally {
      await server.stop();
    }
  });
});
