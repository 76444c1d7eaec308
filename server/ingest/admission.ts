import type { Clock } from '../../shared/clock.js';
import { decodeBody, parseHeartbeat, type Heartbeat } from '../../shared/heartbeat.js';
import { FEED_ID_PREFIX, isFeedId } from '../model/cache.js';
import type { Registry } from '../registry/types.js';
import type { Keyring } from './keyring.js';
import { capacityRefusal, createRateLimiter, sizeRefusal, type IngestLimits } from './limits.js';
import { createMemoryReplayGuard, createSharedReplayGuard, type ReplayGuard } from './replay.js';
import { checkSignature, type SignatureMode } from './verify-signature.js';

export type Admission =
  | { ok: true; heartbeat: Heartbeat; signedBy: string | null }
  /** `reason` is a short, fixed word (a metric label); `detail` says what exactly was wrong (for the log). */
  | { ok: false; reason: string; detail: string };

export interface HeartbeatAdmission {
  /** Decides whether one raw message may reach the registry. Never rejects. */
  admit(body: unknown): Promise<Admission>;
}

export interface AdmissionOptions {
  mode: SignatureMode;
  /** The current keyring (null when the mode is off); a getter so a reload takes effect at once. */
  keyring: () => Keyring | null;
  /** ± seconds a signed heartbeat's timestamp may differ from the server clock. */
  windowS: number;
  limits: IngestLimits;
}

/**
 * Every check a heartbeat passes before it touches the registry, cheapest and least trusting first:
 * size, JSON, signature, schema, what the key may advertise, who owns the uuid, timestamp window and
 * replay, rate, capacity. Rate and replay state is keyed by key id and uuid, so forged messages naming
 * someone else's uuid cannot use up that agent's allowance or advance its `seq`.
 *
 * The replay check records the seq as it passes (atomically: in Redis when the registry is shared, see
 * replay.ts), so it comes after everything that says who may send this message, and before the rate
 * limit, so replayed copies use up none of the agent's allowance. A message the limits then refuse was
 * the agent's own; its seq stays used, which only means that copies of it are refused too.
 */
export function createAdmission(deps: { options: AdmissionOptions; registry: Registry; clock: Clock }): HeartbeatAdmission {
  const { options, registry, clock } = deps;
  const { limits } = options;
  const replay: ReplayGuard = registry.claimSeq
    ? createSharedReplayGuard({ windowS: options.windowS, clock, claimSeq: registry.claimSeq.bind(registry) })
    : createMemoryReplayGuard({ windowS: options.windowS, capacity: limits.maxTrackedAgents, clock });
  const rate = createRateLimiter({ perMinute: limits.maxHeartbeatsPerMinute, capacity: limits.maxTrackedAgents, clock });

  const admit = async (body: unknown): Promise<Admission> => {
    const tooLarge = sizeRefusal(body, limits.maxMessageBytes);
    if (tooLarge) return { ok: false, ...tooLarge };

    const decoded = decodeBody(body);
    if (!decoded.ok) return { ok: false, reason: '(body)', detail: 'body is not valid JSON' };
    const value = decoded.value;

    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    const signature = isObject ? checkSignature(value as Record<string, unknown>, options.mode, options.keyring()) : ({ status: 'unsigned' } as const);
    if (signature.status === 'rejected') return { ok: false, reason: signature.reason, detail: signature.detail };
    if (!isObject && options.mode === 'required') return { ok: false, reason: 'unsigned', detail: 'body is not a JSON object' };

    const parsed = parseHeartbeat(value);
    if (!parsed.ok) return { ok: false, reason: parsed.field, detail: parsed.reason };
    const hb = parsed.heartbeat;
    // The operator feed's caches are signed by no key: no heartbeat may name one (or take its id space).
    if (isFeedId(hb.uuid)) return { ok: false, reason: 'uuid', detail: `uuid ${hb.uuid}: ids beginning "${FEED_ID_PREFIX}" are the operator feed's caches` };

    const signedBy = signature.status === 'signed' ? signature.key.keyId : null;
    const agent = `${signedBy ?? ''}/${hb.uuid}`;
    if (signature.status === 'signed') {
      const refused = signature.key.refuses(hb);
      if (refused) return { ok: false, reason: 'not_allowed', detail: refused };
    }

    const previousKey = registry.get(hb.uuid)?.signedBy ?? null;
    if (previousKey !== null && previousKey !== signedBy) {
      const detail =
        signedBy === null ? `unsigned heartbeat for cache ${hb.uuid}, which key ${previousKey} signs` : `cache ${hb.uuid} is signed by key ${previousKey}, not ${signedBy}`;
      return { ok: false, reason: 'ownership', detail };
    }

    if (signature.status === 'signed') {
      const replayed = await replay.claim(agent, signature.seq, hb.timestamp);
      if (replayed) return { ok: false, ...replayed };
    }

    const limited = rate.take(agent);
    if (limited) return { ok: false, ...limited };
    if (hb.status !== 'leaving') {
      const full = capacityRefusal(registry, hb, signedBy, limits);
      if (full) return { ok: false, ...full };
    }

    return { ok: true, heartbeat: hb, signedBy };
  };

  return {
    async admit(body) {
      try {
        return await admit(body);
      } catch (error) {
        // Defence in depth: nothing a message contains may throw out of the consumer.
        return { ok: false, reason: 'internal', detail: `admission failed: ${(error as Error).message}` };
      }
    },
  };
}
