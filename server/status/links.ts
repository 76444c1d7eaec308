/**
 * The one place the status page spells the per-cache page's URL (`/caches/<id>`, under --base-path):
 * the table, the cards and the map markers all link there.
 */
export function cachePageHref(basePath: string, id: string): string {
  return `${basePath}/caches/${encodeURIComponent(id)}`;
}
