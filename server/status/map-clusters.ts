/**
 * Groups map markers that would pile on top of each other (the European caches at world scale), so the
 * server-rendered map is readable without the script. The page's script runs the same greedy pass again,
 * with the distance divided by its zoom, when the map is zoomed (`recluster` in assets/status.js): keep
 * the two in step, down to the order and the tie-breaks, or a refresh would regroup the map.
 */

/** Markers closer than this (map viewBox units, at zoom 1) are drawn as one group: about two markers' width. */
export const CLUSTER_DISTANCE = 16;

export interface ClusterPoint {
  id: string;
  x: number;
  y: number;
}

/**
 * Leader clustering on a grid: points in order of x, then y, then id; each joins the nearest leader within
 * `distance` (ties: the earlier leader), else leads a group of its own. Linear in the points, since only
 * the 3×3 grid cells around a point can hold a leader near enough.
 */
export function clusterPoints<T extends ClusterPoint>(points: readonly T[], distance: number): T[][] {
  const order = [...points].sort((a, b) => a.x - b.x || a.y - b.y || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const leaders: { x: number; y: number; members: T[] }[] = [];
  const cells = new Map<string, number[]>();
  const limit = distance * distance;
  for (const p of order) {
    const gx = Math.floor(p.x / distance);
    const gy = Math.floor(p.y / distance);
    let best = -1;
    let bestD = Infinity;
    for (let i = gx - 1; i <= gx + 1; i++) {
      for (let j = gy - 1; j <= gy + 1; j++) {
        for (const l of cells.get(`${i},${j}`) ?? []) {
          const leader = leaders[l] as (typeof leaders)[number];
          const dx = leader.x - p.x;
          const dy = leader.y - p.y;
          const d = dx * dx + dy * dy;
          if (d <= limit && (d < bestD || (d === bestD && l < best))) {
            best = l;
            bestD = d;
          }
        }
      }
    }
    if (best === -1) {
      const key = `${gx},${gy}`;
      const list = cells.get(key);
      if (list) list.push(leaders.length);
      else cells.set(key, [leaders.length]);
      leaders.push({ x: p.x, y: p.y, members: [p] });
    } else {
      (leaders[best] as (typeof leaders)[number]).members.push(p);
    }
  }
  return leaders.map((l) => l.members);
}

/** Where a group is drawn: the mean of its members, rounded as projected points are. */
export function clusterCentre(members: readonly { x: number; y: number }[]): { x: number; y: number } {
  let x = 0;
  let y = 0;
  for (const m of members) {
    x += m.x;
    y += m.y;
  }
  return { x: Math.round((x / members.length) * 10) / 10, y: Math.round((y / members.length) * 10) / 10 };
}

/** A group's badge radius: grows with the log of its size, so 500 caches do not cover a continent. */
export function clusterRadius(size: number): number {
  return Math.round((7 + 2.4 * Math.log2(Math.max(2, size))) * 10) / 10;
}
