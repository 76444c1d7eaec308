import { createManualClock, type ManualClock } from './clock.js';
import { createSilentLogger } from '../../shared/logger.js';
import { bundledGeoIpPath, openGeoIp, type GeoIp } from '../../server/geo/geoip.js';
import { createIngest, type Ingest } from '../../server/ingest/ingest.js';
import { createMetrics, type Metrics } from '../../server/metrics.js';
import { createMemoryRegistry } from '../../server/registry/memory.js';
import type { Registry } from '../../server/registry/types.js';
import { createAdmission } from '../../server/ingest/admission.js';
import { parseKeyring } from '../../server/ingest/keyring.js';
import type { IngestLimits } from '../../server/ingest/limits.js';
import type { SignatureMode } from '../../server/ingest/verify-signature.js';
import { KEYRING } from './security.js';

export const DEFAULT_LIMITS: IngestLimits = {
  maxMessageBytes: 16_384,
  maxCaches: 1000,
  maxCachesPerSite: 100,
  maxHeartbeatsPerMinute: 120,
  maxTrackedAgents: 10_000,
};

export interface SecureIngest {
  ingest: Ingest;
  registry: Registry;
  metrics: Metrics;
  clock: ManualClock;
  /** `shoal_heartbeats_total` rejections with this reason. */
  rejected(reason: string): Promise<number>;
}

/** Opened once per test file that imports this module. */
const geoipReady: Promise<GeoIp> = openGeoIp(bundledGeoIpPath(), createSilentLogger());

/** In-process ingest with the admission checks, the real GeoIP database and the keyring fixture. */
export async function createSecureIngest(options: { mode?: SignatureMode; limits?: Partial<IngestLimits>; windowS?: number } = {}): Promise<SecureIngest> {
  const geoip = await geoipReady;
  const clock = createManualClock(Date.UTC(2026, 5, 1));
  const registry = createMemoryRegistry({ ttlMs: 180_000, clock });
  const metrics = createMetrics();
  const keyring = parseKeyring(KEYRING);
  const admission = createAdmission({
    options: { mode: options.mode ?? 'required', keyring: () => keyring, windowS: options.windowS ?? 30, limits: { ...DEFAULT_LIMITS, ...options.limits } },
    registry,
    clock,
  });
  const ingest = createIngest({ registry, geoip, clock, logger: createSilentLogger(), metrics, admission, ttlMs: 180_000 });
  return {
    ingest,
    registry,
    metrics,
    clock,
    async rejected(reason) {
      const metric = await metrics.heartbeats.get();
      return metric.values.find((v) => v.labels.result === 'rejected' && v.labels.reason === reason)?.value ?? 0;
    },
  };
}
