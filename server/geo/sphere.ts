/** Great-circle geometry. Pure functions, no I/O. */

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088;

export interface LatLon {
  latitude: number;
  longitude: number;
}

const RAD = Math.PI / 180;

/** Haversine great-circle distance in km. */
export function haversineKm(a: LatLon, b: LatLon, radiusKm = EARTH_RADIUS_KM): number {
  const dLat = (b.latitude - a.latitude) * RAD;
  const dLon = (b.longitude - a.longitude) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * RAD) * Math.cos(b.latitude * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * radiusKm * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A point as a unit vector: lets a lookup compare thousands of caches without trigonometry per cache. */
export type UnitVector = readonly [number, number, number];

export function toUnitVector(p: LatLon): UnitVector {
  const lat = p.latitude * RAD;
  const lon = p.longitude * RAD;
  const c = Math.cos(lat);
  return [c * Math.cos(lon), c * Math.sin(lon), Math.sin(lat)];
}

/** Great-circle distance between two unit vectors (chord → arc); equal to haversineKm. */
export function unitDistanceKm(a: UnitVector, b: UnitVector, radiusKm = EARTH_RADIUS_KM): number {
  const dx = a[0] - b[0];
  const dy = a[1] - b[1];
  const dz = a[2] - b[2];
  const chord = Math.sqrt(dx * dx + dy * dy + dz * dz);
  return 2 * radiusKm * Math.asin(Math.min(1, chord / 2));
}
