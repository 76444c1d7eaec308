import { describe, expect, it } from 'vitest';
import { MAP_HEIGHT, MAP_WIDTH, createWorldMap, readAtlas } from '../../../server/status/world-map.js';

describe('world map', () => {
  const map = createWorldMap();

  it('draws the land, borders and graticule from the offline atlas as SVG paths', () => {
    for (const path of [map.spherePath, map.landPath, map.bordersPath, map.graticulePath]) expect(path).toMatch(/^M[-\d.]+,[-\d.]+/);
    // 1:110m land is tens of kilobytes of path: small enough for every page, never empty.
    expect(map.landPath.length).toBeGreaterThan(20_000);
    expect(map.landPath.length).toBeLessThan(200_000);
  });

  it.each([
    ['Geneva', 46.2, 6.1],
    ['Victoria', 48.4, -123.4],
    ['Canberra', -35.3, 149.1],
    ['the date line', 0, 180],
    ['the south pole', -90, 0],
  ])('places %s inside the map', (_place, lat, lon) => {
    const p = map.project(lat, lon);
    expect(p).not.toBeNull();
    expect(p!.x).toBeGreaterThanOrEqual(0);
    expect(p!.x).toBeLessThanOrEqual(MAP_WIDTH);
    expect(p!.y).toBeGreaterThanOrEqual(0);
    expect(p!.y).toBeLessThanOrEqual(MAP_HEIGHT);
  });

  it('puts west left of east and north above south, centred on (0, 0)', () => {
    const victoria = map.project(48.4, -123.4)!;
    const geneva = map.project(46.2, 6.1)!;
    const canberra = map.project(-35.3, 149.1)!;
    expect(victoria.x).toBeLessThan(geneva.x);
    expect(geneva.x).toBeLessThan(canberra.x);
    expect(geneva.y).toBeLessThan(canberra.y);
    expect(map.project(0, 0)).toEqual({ x: map.frame.translateX, y: map.frame.translateY });
  });

  it('reads the atlas only when a layer is first drawn, and only once (a server whose page nobody opens never loads it)', () => {
    const reads: string[] = [];
    const lazy = createWorldMap({ loadAtlas: (file) => (reads.push(file), readAtlas(file)) });
    expect(lazy.project(46.2, 6.1)).toEqual(map.project(46.2, 6.1));
    expect(lazy.frame).toEqual(map.frame);
    expect(reads).toEqual([]);
    expect(lazy.landPath).toBe(map.landPath);
    expect(lazy.bordersPath).toBe(map.bordersPath);
    expect(reads).toEqual(['land-110m.json', 'countries-110m.json']);
  });
});
