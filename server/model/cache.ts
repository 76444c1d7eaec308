import type { Heartbeat } from '../../shared/heartbeat.js';
import type { IpLiteral, ProxyHost } from '../../shared/identity.js';
import type { GeoRecord } from '../geo/geoip.js';
import type { UnitVector } from '../geo/sphere.js';

/**
 * What a listed cache is, and every rule a reader applies to one. Each rule is written here once and
 * called everywhere else (lookup, cell index, renderers, status page, gauges, verifier, export): two
 * files that each compute one disagree one day. The rules are tiny pure functions, called on the
 * lookup's hot path; they allocate nothing. Rules about what the agent said take its heartbeat (some run
 * at ingest, before there is an entry); rules that also weigh the server's own check take the entry.
 */

export interface CacheLocation extends GeoRecord {
  /** `declared`: coordinates from the heartbeat; `geoip`: looked up from the cache's address. */
  source: 'declared' | 'geoip';
}

/** Result of the server's own check that a cache serves (see verification). */
export interface VerificationState {
  ok: boolean;
  reason?: string | undefined;
  checkedMs: number;
}

/** One advertised cache as the registry holds it. */
export interface CacheEntry {
  /** The agent's uuid. */
  id: string;
  heartbeat: Heartbeat;
  location: CacheLocation | null;
  /** Location as a unit vector, precomputed once for fast distance. */
  unit: UnitVector | null;
  createdMs: number;
  lastActiveMs: number;
  verification: VerificationState | null;
  /** Key id whose signature the last heartbeat carried; null or absent: unsigned (signature mode off or permissive). */
  signedBy?: string | null;
}

/** Who lists a cache: its agent's heartbeats, or the operator feed (`--feed`, ingest/feed.ts). */
export type CacheSource = 'agent' | 'feed';

/**
 * Every id of a cache the operator feed lists begins with this (`feed:<host>:<port>`), and admission
 * refuses a heartbeat whose uuid does, in any case: feed caches are signed by no key, so this is what
 * keeps a heartbeat from taking one over.
 */
export const FEED_ID_PREFIX = 'feed:';

const FEED_ID = /^feed:/i;

/** Whether an id lies in the feed's id space, in any case (admission refuses such heartbeats). A regex test: no allocation. */
export function isFeedId(id: string): boolean {
  return FEED_ID.test(id);
}

/** Where a cache comes from, by its id: so the id says it wherever the entry travels (Redis included). */
export function cacheSource(entry: CacheEntry): CacheSource {
  return isFeedId(entry.id) ? 'feed' : 'agent';
}

/**
 * The address the world reaches a cache at: its public address, else its NAT (external) one, as the
 * original. GeoIP locates the cache by it, the server probes it there, and the original routes'
 * `public_ip` and the WLCG WPAD export show it.
 */
export function publicAddress(hb: Heartbeat): IpLiteral | undefined {
  return hb.publicIp ?? hb.externalIp;
}

/**
 * What the server hands out for a cache (`--advertise`): `hostname`, its hostname; `address`, the address
 * it probed, its public (else NAT) address, or its hostname when it has neither. The verifier checks what
 * this gives (verification/policy.ts), so a caller is given what was checked.
 */
export type Advertise = 'hostname' | 'address';

/** The host a caller outside the cache's site (and NAT) is given, by `--advertise`. */
export function advertisedHost(hb: Heartbeat, advertise: Advertise): ProxyHost {
  return advertise === 'address' ? (publicAddress(hb) ?? hb.hostname) : hb.hostname;
}

/**
 * The address a caller is given: a `private` cache's private address to a caller in its own site, and
 * any cache's private address to a caller behind the same NAT (its address is the cache's `external_ip`:
 * a NAT seldom carries its own inside callers back in, `behindSameNat`); else what `--advertise` hands
 * out (`advertisedHost`).
 */
export function addressForCaller(hb: Heartbeat, callerInSite: boolean, callerBehindNat = false, advertise: Advertise = 'hostname'): ProxyHost {
  return ((hb.access === 'private' && callerInSite) || callerBehindNat) && hb.privateIp ? hb.privateIp : advertisedHost(hb, advertise);
}

/** The caller is behind the cache's NAT: its address (`nat`, as caches spell it; null: behind none) is the cache's external address. */
export function behindSameNat(hb: Heartbeat, nat: string | null | undefined): boolean {
  return nat !== null && nat !== undefined && hb.externalIp === nat;
}

/** The max load (kB/s) a cache is ranked against: its own, or the server's default when it sent none (or a non-positive one). */
export function effectiveMaxLoad(hb: Heartbeat, defaultMaxLoad: number): number {
  return hb.maxLoad ?? defaultMaxLoad;
}

/** At or over its effective max load. */
export function isOverloaded(hb: Heartbeat, defaultMaxLoad: number): boolean {
  return hb.load >= effectiveMaxLoad(hb, defaultMaxLoad);
}

/** Failing its agent's self-check, or overloaded: offered only when nothing else is left (and then marked so). */
export function isDegraded(hb: Heartbeat, defaultMaxLoad: number): boolean {
  return hb.status === 'failing' || isOverloaded(hb, defaultMaxLoad);
}

/** The agent said goodbye: never offered. */
export function isLeaving(hb: Heartbeat): boolean {
  return hb.status === 'leaving';
}

/** Serves this upstream (a `both` cache serves either). */
export function servesUpstream(hb: Heartbeat, upstream: 'cvmfs' | 'frontier'): boolean {
  return hb.upstream === 'both' || hb.upstream === upstream;
}

/** Verified as the original meant it: the agent says so, or the server checked it and it served. */
export function isVerified(entry: CacheEntry): boolean {
  return entry.heartbeat.verified || entry.verification?.ok === true;
}

/** The server checked the cache and it did not serve. Not checked yet is not failed. */
export function verificationFailed(entry: CacheEntry): entry is CacheEntry & { verification: VerificationState } {
  return entry.verification?.ok === false;
}

/**
 * Whether the server's own verification lets a cache be offered. A cache that failed it stays on offer
 * to callers in its own site only (the site's network may reach it when the server cannot); one not
 * checked yet is offered, so a new cache is useful at once.
 */
export function verificationAllows(entry: CacheEntry, callerInSite: boolean): boolean {
  return callerInSite || !verificationFailed(entry);
}

/** Drift between an agent's clock and the server's over this many seconds is shown, as the original's red row. */
export const CLOCK_DRIFT_LIMIT_S = 10;

/**
 * How long before the server received it a heartbeat says it was sent (server clock at receipt minus the
 * agent's `timestamp`, in seconds): positive, stamped earlier (a clock behind, or a message that waited
 * in a queue); negative, stamped in the future (a clock ahead). As the original's `curr - time_sent`.
 */
export function heartbeatAgeS(hb: Heartbeat, receivedMs: number): number {
  return receivedMs / 1000 - hb.timestamp;
}

/** A listed cache's clock drift: its last heartbeat's age when it arrived (`lastActiveMs` is that moment). */
export function clockDriftS(entry: CacheEntry): number {
  return heartbeatAgeS(entry.heartbeat, entry.lastActiveMs);
}

/** Its last heartbeat was stamped more than `CLOCK_DRIFT_LIMIT_S` from the server's clock, either way. */
export function hasClockDrift(entry: CacheEntry): boolean {
  return Math.abs(clockDriftS(entry)) > CLOCK_DRIFT_LIMIT_S;
}
