import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { bundledGeoIpPath, GEOIP_STALE_DAYS, geoIpAge, openGeoIp, warnIfStale } from '../../../server/geo/geoip.js';
import { createSilentLogger } from '../../../shared/logger.js';
import { createManualClock } from '../../support/clock.js';
import { startTestServer } from '../../support/server.js';

const DAY = 86_400_000;

/** A logger whose lines the test reads. */
function recordingLogger() {
  const lines: { level: number; msg: string; component?: string; built?: string; ageDays?: number; path?: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
  return { logger, lines };
}

const bundled = await openGeoIp(bundledGeoIpPath(), createSilentLogger());
const BUILT = bundled.builtAt();

describe('the GeoIP database age', () => {
  it.each([
    ['built today', 0, 90, 0, false],
    ['exactly the limit', 90, 90, 90, false],
    ['a day past the limit', 91, 90, 91, true],
    ['years old', 2400, 90, 2400, true],
    ['years old, with the check off (0)', 2400, 0, 2400, false],
  ])('%s', (_name, days, staleDays, ageDays, stale) => {
    expect(geoIpAge(BUILT, BUILT + days * DAY + 3_600_000, staleDays)).toEqual({ built: new Date(BUILT).toISOString(), ageDays, stale });
  });

  it('is unknown, and not stale, without a build time', () => {
    expect(geoIpAge(0, Date.now(), 90)).toEqual({ built: null, ageDays: null, stale: false });
  });

  it('takes 90 days as the default limit', () => {
    expect(GEOIP_STALE_DAYS).toBe(90);
  });

  it('the bundled database was built in 2019-12', () => {
    expect(new Date(BUILT).toISOString().slice(0, 7)).toBe('2019-12');
  });

  it('warns with the build date, the age and how to get a current one; says nothing of a fresh one', () => {
    const { logger, lines } = recordingLogger();
    expect(warnIfStale(bundled, BUILT + 10 * DAY, 90, logger)).toBe(false);
    expect(lines).toEqual([]);
    expect(warnIfStale(bundled, BUILT + 2500 * DAY, 90, logger)).toBe(true);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line.level).toBe(40);
    expect(line.msg).toContain(`built ${new Date(BUILT).toISOString().slice(0, 10)} is 2500 days old`);
    expect(line.msg).toContain('geoipupdate');
    expect(line.msg).toContain('DB-IP');
    expect(line.msg).toContain('--geoip-database');
    expect(line.msg).toContain('docs/operations.md');
    expect(line).toMatchObject({ ageDays: 2500, path: bundledGeoIpPath() });
  });
});

describe('a server started with an old GeoIP database', () => {
  it('logs the warning at start, with the injected clock', async () => {
    const { logger, lines } = recordingLogger();
    const clock = createManualClock(BUILT + 2000 * DAY);
    const server = await startTestServer({ amqp: false, clock, logger });
    try {
      const warnings = lines.filter((l) => l.level === 40 && l.component === 'geoip');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.msg).toContain('2000 days old');
    } finally {
      await server.stop();
    }
  });

  it('logs nothing of it when the database is recent for the clock, or with --geoip-stale-days 0', async () => {
    for (const [now, flags] of [
      [BUILT + 30 * DAY, {}],
      [BUILT + 2000 * DAY, { geoipStaleDays: 0 }],
    ] as const) {
      const { logger, lines } = recordingLogger();
      const server = await startTestServer({ amqp: false, clock: createManualClock(now), logger, flags });
      try {
        expect(lines.filter((l) => l.level === 40 && l.msg.includes('GeoIP database built'))).toEqual([]);
      } finally {
        await server.stop();
      }
    }
  });
});
