import { PAC_CONTENT_TYPE } from '../render/pac.js';
import { fastResponse } from './fast-response.js';

/** A PAC response: the content type PAC clients expect, an exact Content-Length, per-caller caching only. */
export function pacResponse(body: string): Response {
  // Names lower-case and sorted: see fast-response.ts.
  return fastResponse(body, {
    'cache-control': 'private, max-age=60',
    'content-length': String(Buffer.byteLength(body)),
    'content-type': PAC_CONTENT_TYPE,
    vary: 'X-Forwarded-For',
  });
}
