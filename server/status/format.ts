/** Human-readable numbers for the status page. */

/** Load in kB/s (what agents report) as kB/s, MB/s or GB/s. */
export function formatLoad(kBps: number): string {
  if (kBps < 1000) return `${Math.round(kBps)} kB/s`;
  if (kBps < 1_000_000) return `${(kBps / 1000).toFixed(1)} MB/s`;
  return `${(kBps / 1_000_000).toFixed(2)} GB/s`;
}

/** Seconds since the last heartbeat as "12 s", "4 min", "2 h 5 min". */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** Where a cache is, as far as known: "City, CC", else its coordinates, else null. */
export function formatPlace(place: { city: string | null; countryCode: string | null; latitude: number | null; longitude: number | null }): string | null {
  const named = [place.city, place.countryCode].filter(Boolean).join(', ');
  if (named) return named;
  if (place.latitude !== null && place.longitude !== null) return `${place.latitude.toFixed(2)}, ${place.longitude.toFixed(2)}`;
  return null;
}

/** What a clock drift means, for the badge's title: positive, stamped before the server received it. */
export function formatDrift(driftS: number): string {
  const s = Math.abs(driftS).toFixed(1);
  return driftS > 0
    ? `last heartbeat stamped ${s} s before the server received it: the agent's clock is behind, or the message waited in a queue`
    : `last heartbeat stamped ${s} s after the server received it: the agent's clock is ahead`;
}

/** "1 cache", "2 caches", "5,000 caches": a count with its noun, never "1 caches". */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? singular : plural}`;
}

/** The verb that goes with a count: "1 matches", "2 match". */
export function agrees(n: number, singular: string, plural: string): string {
  return n === 1 ? singular : plural;
}
