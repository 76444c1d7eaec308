import type { Clock } from '../../shared/clock.js';
import { toUnitVector } from '../geo/sphere.js';
import type { Heartbeat } from '../../shared/heartbeat.js';
import type { Logger } from '../../shared/logger.js';
import type { GeoIp } from '../geo/geoip.js';
import { locateCache, sameLocationInputs } from '../geo/cache-location.js';
import type { Metrics } from '../metrics.js';
import type { Registry } from '../registry/types.js';
import type { CacheEntry } from '../model/cache.js';
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
  geoip: GeoIp;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Schema, signature, replay and limit checks (admission.ts). */
  admission: HeartbeatAdmission;
}): Ingest {
  const { registry, geoip, clock, metrics, admission } = deps;
  const log = deps.logger.child({ component: 'ingest' });

  /** An admitted heartbeat into the registry; `signedBy`: the key id it was signed with. */
  const apply = async (hb: Heartbeat, signedBy: string | null): Promise<IngestResult> => {
    const now = clock.now();
    const previous = registry.get(hb.uuid);
    if (hb.status === 'leaving') {
      const removed = await registry.remove(hb.uuid);
      metrics.heartbeats.inc({ result: 'accepted', reason: 'goodbye' });
      if (removed) {
        metrics.cacheEvents.inc({ event: 'goodbye' });
        log.info({ id: hb.uuid, hostname: hb.hostname }, 'cache left (goodbye)');
        return { ok: true, event: 'goodbye' };
      }
      return { ok: true, event: 'ignored' };
    }
    const location = previous && sameLocationInputs(previous.heartbeat, hb) ? previous.location : locateCache(hb, geoip);
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
