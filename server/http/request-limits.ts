import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';

/** Longest request URL (path and query) the server reads; every real query fits in a few hundred bytes. */
export const MAX_URL_LENGTH = 2048;

/**
 * Refuses over-long URLs before any route parses them, so no handler ever works on a huge query string
 * (Node already caps the whole request head at 16 KiB).
 */
export function requestLimits(options: { maxUrlLength?: number } = {}): MiddlewareHandler {
  const max = options.maxUrlLength ?? MAX_URL_LENGTH;
  return async (c, next) => {
    const url = c.req.url;
    const pathStart = url.indexOf('/', url.indexOf('//') + 2);
    const length = pathStart === -1 ? 0 : url.length - pathStart;
    if (length > max) throw new ApiError('bad_request', `request URL is ${length} characters (limit ${max})`, 'query');
    await next();
  };
}
