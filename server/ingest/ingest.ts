import type { Clock } from '../../shared/clock.js';
import { toUnitVector } from '../geo/sphere.js';
import type { Heartbeat } from '../../shared/heartbeat.js';
import type { Logger } from '../../shared/logger.js';
import type { GeoIp } from '../geo/geoip.js';
import { locationFor } from '../geo/cache-location.js';
import type { Metrics } from '../metrics.js';
import type { Registry } from '../registry/types.js';
import { CLOCK_DRIFT_LIMIT_S, clockDriftS, hasClockDrift, heartbeatAgeS, type CacheEntry } from '../model/cache.js';
import type { HeartbeatAdmission } from './admission.js';

export type IngestResult =
  | { ok: true; event: 'joined' | 'updated' | 'goodbye' | 'ignored' }
  | { ok: false; reason: string };

export interface Ingest {
  /** Validate one raw message and apply it to the registry. Never throws. */
  handle(body: Buffer | string | unknown): Promise<IngestResult>;
}

/** Turns heartbeats into registry entries, geolocating each cache once (again only if its address changes). */
export function createIngest(deps: {
  registry: Registry;
  /** `loadedAt`: a cache heard from before the GeoIP database in use was loaded is located again. */
  geoip: GeoIp & { loadedAt?: () => number };
  clock: Clock;
  /** How long a cache stays listed (`--cache-ttl`): a heartbeat older than this does not list a new cache. */
  ttlMs: number;
  logger: Logger;
  metrics: Metrics;
  /** Schema, signature, replay and limit checks (admission.ts). */
  admission: HeartbeatAdmission;
}): Ingest {
  const { registry, geoip, clock, metrics, admission, ttlMs } = deps;
  const log = deps.logger.child({ component: 'ingest' });

  /** An admitted heartbeat into the registry; `signedBy`: the key id it was signed with. */
  const apply = async (hb: Heartbeat, signedBy: string | null): Promise<IngestResult> => {
    const now = clock.now();
    const previous = registry.get(hb.uuid);
    if (hb.status === 'leaving') {
      const removed = await registry.remove(hb.uuid, { sentMs: hb.timestamp * 1000 });
      metrics.heartbeats.inc({ result: 'accepted', reason: 'goodbye' });
      if (removed) {
        metrics.cacheEvents.inc({ event: 'goodbye' });
        log.info({ id: hb.uuid, hostname: hb.hostname }, 'cache left (goodbye)');
        return { ok: true, event: 'goodbye' };
      }
      return { ok: true, event: 'ignored' };
    }
    // As the original: a heartbeat for a cache not listed, stamped a TTL or more ago (queued, replayed, or
    // from a clock far behind), does not list it. A listed cache's heartbeat is a sign of life whatever its
    // stamp (it refreshes the cache, as the original's does; its drift is shown): refusing it would drop a
    // cache that is still beating because of its clock alone.
    const ageS = heartbeatAgeS(hb, now);
    if (!previous && ageS >= ttlMs / 1000) {
      const detail = `heartbeat for a cache not listed is ${ageS.toFixed(1)} s old (cache TTL ${ttlMs / 1000} s): queued, replayed or from a clock behind`;
      metrics.heartbeats.inc({ result: 'rejected', reason: 'stale' });
      log.warn({ reason: 'stale', detail, id: hb.uuid, hostname: hb.hostname }, 'heartbeat rejected');
      return { ok: false, reason: detail };
    }
    const location = locationFor(hb, previous, geoip);
    const entry: CacheEntry = {
      id: hb.uuid,
      heartbeat: hb,
      location,
      unit: previous && previous.location === location ? previous.unit : location ? toUnitVector(location) : null,
      createdMs: previous?.createdMs ?? now,
      lastActiveMs: now,
      verification: previous?.verification ?? null,
      signedBy,
    };
    if (hasClockDrift(entry) && !(previous && hasClockDrift(previous))) {
      log.warn({ id: hb.uuid, hostname: hb.hostname, clock_drift_s: Math.round(clockDriftS(entry) * 10) / 10 }, `clock drift: heartbeat timestamp over ${CLOCK_DRIFT_LIMIT_S} s from the server clock`);
    }
    const event = await registry.put(entry);
    metrics.heartbeats.inc({ result: 'accepted', reason: hb.status });
    if (event === 'joined') {
      metrics.cacheEvents.inc({ event: 'joined' });
      log.info(
        {
          id: hb.uuid,
          hostname: hb.hostname,
          port: hb.cachePort,
          city: location?.city ?? null,
          country: location?.countryCode ?? null,
          located: location?.source ?? 'unknown',
        },
        'cache joined',
      );
    }
    return { ok: true, event };
  };

  return {
    async handle(body) {
      const admitted = await admission.admit(body);
      if (!admitted.ok) {
        metrics.heartbeats.inc({ result: 'rejected', reason: admitted.reason });
        log.warn({ reason: admitted.reason, detail: admitted.detail, sample: sampleOf(body) }, 'heartbeat rejected');
        return { ok: false, reason: admitted.detail };
      }
      try {
        return await apply(admitted.heartbeat, admitted.signedBy);
      } catch (error) {
        // A registry failure (e.g. Redis away) must not kill the consumer; the next heartbeat retries.
        metrics.heartbeats.inc({ result: 'rejected', reason: 'registry' });
        log.error({ err: error, id: admitted.heartbeat.uuid }, 'could not store heartbeat');
        return { ok: false, reason: `registry: ${(error as Error).message}` };
      }
    },
  };
}

/** The first 200 characters, for the log; never converts or serialises more than that of a huge body. */
function sampleOf(body: unknown): string {
  let text: string;
  try {
    text = Buffer.isBuffer(body) ? body.subarray(0, 201).toString('utf8') : typeof body === 'string' ? body.slice(0, 201) : String(JSON.stringify(body)).slice(0, 201);
  } catch {
    text = '(unprintable)';
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
