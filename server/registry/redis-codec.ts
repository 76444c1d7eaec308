import { z } from 'zod';
import { sameLocation } from '../geo/cache-location.js';
import { toUnitVector } from '../geo/sphere.js';
import { parseHeartbeat, toWire } from '../../shared/heartbeat.js';
import { KeyIdSchema } from '../../shared/signing.js';
import type { CacheEntry, CacheLocation, VerificationState } from '../model/cache.js';

/*
 * How a cache entry is stored in Redis and announced to the other replicas. Everything that comes back
 * from Redis is input from another process (maybe another version of Shoal), so it is parsed with zod
 * like any other input; the heartbeat goes through the very schema agents' messages go through.
 *
 * One Redis hash per cache, with fields kept apart so the Lua scripts can keep `created` and
 * `verification` across updates without decoding JSON (Lua's cjson would round float timestamps):
 *   data          JSON {"heartbeat": <wire form>, "location": {...} | null, "signed_by": key id | null}
 *   active        last heartbeat, ms since the epoch (the writer's clock)
 *   created       first heartbeat, ms
 *   verification  JSON VerificationState, absent when never checked
 */

const nullableText = z.string().nullable();

export const StoredLocationSchema = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  city: nullableText,
  regionCode: nullableText,
  countryCode: nullableText,
  countryName: nullableText,
  continent: nullableText,
  timeZone: nullableText,
  postalCode: nullableText,
  metroCode: z.number().nullable(),
  source: z.enum(['declared', 'geoip']),
});

export const StoredVerificationSchema = z.object({
  ok: z.boolean(),
  reason: z.string().optional(),
  checkedMs: z.number(),
});

const StoredDataSchema = z.object({
  heartbeat: z.unknown(),
  location: StoredLocationSchema.nullable(),
  // The key that signs the cache (server/security): kept so every replica refuses a takeover by another key.
  signed_by: KeyIdSchema.nullable().optional(),
});

export const StoredEntrySchema = z.object({
  data: StoredDataSchema,
  active: z.number().finite(),
  created: z.number().finite(),
  verification: StoredVerificationSchema.nullable(),
});
export type StoredEntry = z.infer<typeof StoredEntrySchema>;

/** What replicas publish on the registry's channel after each write (built by the Lua scripts). */
export const RegistryEventSchema = z.discriminatedUnion('op', [
  StoredEntrySchema.extend({ op: z.literal('put'), id: z.string().min(1) }),
  z.object({ op: z.literal('remove'), id: z.string().min(1) }),
]);
export type RegistryEvent = z.infer<typeof RegistryEventSchema>;

/** The `data` field: what changes with every heartbeat. */
export function encodeData(entry: CacheEntry): string {
  return JSON.stringify({ heartbeat: toWire(entry.heartbeat), location: entry.location, signed_by: entry.signedBy ?? null });
}

export function encodeVerification(state: VerificationState | null): string {
  return state ? JSON.stringify(state) : '';
}

/**
 * Builds an entry from its stored form, or says why it does not parse. `previous`: the view's entry of
 * that cache, whose location object (and unit vector) is kept when the stored one is the same, as ingest
 * keeps it (geo/cache-location.ts): what is built from a view tells a moved cache by a new location
 * object, and a replica that gave every heartbeat a new one rebuilt its site index on each, dropping
 * every cached answer with it.
 */
export function decodeEntry(id: string, stored: StoredEntry, previous?: CacheEntry): { entry: CacheEntry } | { error: string } {
  const parsed = parseHeartbeat(stored.data.heartbeat);
  if (!parsed.ok) return { error: `stored heartbeat: ${parsed.reason}` };
  if (parsed.heartbeat.uuid !== id) return { error: `stored heartbeat has uuid ${parsed.heartbeat.uuid}` };
  const kept = previous?.location && sameLocation(previous.location, stored.data.location) ? previous : null;
  const location: CacheLocation | null = kept ? kept.location : stored.data.location;
  return {
    entry: {
      id,
      heartbeat: parsed.heartbeat,
      location,
      unit: kept ? kept.unit : location ? toUnitVector(location) : null,
      createdMs: stored.created,
      lastActiveMs: stored.active,
      verification: stored.verification,
      signedBy: stored.data.signed_by ?? null,
    },
  };
}

/** The hash fields as HMGET returns them (data, active, created, verification), parsed; null when missing or bad. */
export function parseHashFields(fields: readonly (string | null)[]): StoredEntry | { error: string } | null {
  const [data, active, created, verification] = fields;
  if (data == null || active == null || created == null) return null;
  let value: unknown;
  try {
    value = { data: JSON.parse(data), active: Number(active), created: Number(created), verification: verification ? JSON.parse(verification) : null };
  } catch (error) {
    return { error: `stored JSON: ${(error as Error).message}` };
  }
  const result = StoredEntrySchema.safeParse(value);
  return result.success ? result.data : { error: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

/** Parses one message from the registry channel. */
export function parseRegistryEvent(text: string): RegistryEvent | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `event JSON: ${(error as Error).message}` };
  }
  const result = RegistryEventSchema.safeParse(value);
  return result.success ? result.data : { error: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}
