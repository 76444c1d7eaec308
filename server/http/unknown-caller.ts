import { z } from 'zod';
import type { Caller } from '../lookup/nearest.js';
import { ApiError } from './errors.js';

/**
 * What the PAC file and the original routes answer a caller the server cannot place (`--unknown-caller`):
 * - `anchor` (default), as the programs CVMFS clients already use: the original Shoal's routes answer
 *   `null`, the PAC file a 400, as WLCG WPAD and the CVMFS geo API do, so a CVMFS client moves on to its
 *   next PAC URL or proxy instead of taking caches ranked by load alone (on another continent, maybe).
 * - `by-load`: site-local caches, then caches ranked by load only, as `/api/v1/nearest` answers it.
 * `/api/v1/nearest` answers either way, with `located_by: "unknown"` and a note, except as a PAC file (`format=pac`).
 */
export const UNKNOWN_CALLER_MODES = ['anchor', 'by-load'] as const;
export const UnknownCallerModeSchema = z.enum(UNKNOWN_CALLER_MODES);
export type UnknownCallerMode = z.infer<typeof UnknownCallerModeSchema>;

/**
 * A caller with no position (no `lat`/`lon`, no GeoIP record, no site with a position) and inside no
 * declared site network. A caller inside a site is never unknown: it gets its site's caches.
 */
export function isUnplacedCaller(caller: Caller): boolean {
  return caller.locatedBy === 'unknown' && caller.sites.length === 0;
}

/** Whether this server refuses to rank for `caller` (mode `anchor` and the caller unplaced). */
export function refusesUnknownCaller(mode: UnknownCallerMode, caller: Caller): boolean {
  return mode === 'anchor' && isUnplacedCaller(caller);
}

/**
 * The 400 a PAC file answers an unplaced caller in mode `anchor`, worded as WLCG WPAD words it (its
 * `remote addr not found in database`), naming `ip` when the caller was asked for by `?ip=`.
 */
export function unknownCallerPacError(caller: Caller, askedForIp: boolean): ApiError {
  return new ApiError(
    'bad_request',
    `remote addr not found in database: ${caller.ip ?? 'no address'} has no location and is in no declared site network (ask with ip= or lat= and lon=)`,
    askedForIp ? 'ip' : undefined,
  );
}
