import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A file the status page loads, read once at start-up and served by the server itself (no CDN). */
export interface StaticAsset {
  name: string;
  body: string;
  contentType: string;
  /** Short content hash: part of the URL, so the file can be cached for good. */
  hash: string;
}

const FILES = {
  'status.js': 'text/javascript; charset=utf-8',
  'status.css': 'text/css; charset=utf-8',
} as const;

export type AssetName = keyof typeof FILES;

/**
 * The assets are plain browser files in `server/status/assets/`. tsc does not copy them, so from the
 * built `dist/server/status/` they are found back in the source tree (which the package ships).
 */
function assetDirectory(): string {
  const beside = fileURLToPath(new URL('./assets/', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../../server/status/assets/', import.meta.url));
}

export function loadStatusAssets(): Record<AssetName, StaticAsset> {
  const dir = assetDirectory();
  const load = (name: AssetName): StaticAsset => {
    const body = readFileSync(`${dir}${name}`, 'utf8');
    return { name, body, contentType: FILES[name], hash: createHash('sha256').update(body).digest('hex').slice(0, 12) };
  };
  return { 'status.js': load('status.js'), 'status.css': load('status.css') };
}
