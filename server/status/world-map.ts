import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { geoGraticule10, geoNaturalEarth1, geoPath } from 'd3-geo';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

/** Size of the map's SVG viewBox; the page scales it to the screen. */
export const MAP_WIDTH = 960;
export const MAP_HEIGHT = 500;
const MARGIN = 4;

/**
 * The projection in numbers the page's script can redo without d3: Natural Earth I,
 * `x = tx + k·f(λ, φ)`, `y = ty − k·g(λ, φ)` (see `assets/status.js`).
 */
export interface MapFrame {
  width: number;
  height: number;
  scale: number;
  translateX: number;
  translateY: number;
}

/** The world outline as SVG paths, projected once when the server starts (never per request). */
export interface WorldMap {
  frame: MapFrame;
  /** The globe's outline (the ocean). */
  spherePath: string;
  landPath: string;
  bordersPath: string;
  graticulePath: string;
  /** Map coordinates of a point, rounded to 0.1 (null if the projection cannot place it). */
  project(latitude: number, longitude: number): { x: number; y: number } | null;
}

type Atlas = Topology<{ land: GeometryCollection; countries: GeometryCollection }>;

function readAtlas(file: string): Atlas {
  // world-atlas ships plain JSON files (Natural Earth 1:110m, public domain); read them from the package.
  const path = createRequire(import.meta.url).resolve(`world-atlas/${file}`);
  return JSON.parse(readFileSync(path, 'utf8')) as Atlas;
}

const round = (n: number) => Math.round(n * 10) / 10;

export function createWorldMap(): WorldMap {
  const projection = geoNaturalEarth1().fitExtent(
    [
      [MARGIN, MARGIN],
      [MAP_WIDTH - MARGIN, MAP_HEIGHT - MARGIN],
    ],
    { type: 'Sphere' },
  );
  const path = geoPath(projection).digits(1);
  const land = readAtlas('land-110m.json');
  const countries = readAtlas('countries-110m.json');
  const [translateX, translateY] = projection.translate();

  return {
    frame: { width: MAP_WIDTH, height: MAP_HEIGHT, scale: projection.scale(), translateX, translateY },
    spherePath: path({ type: 'Sphere' }) ?? '',
    landPath: path(feature(land, land.objects.land)) ?? '',
    // Only borders between two countries: coastlines come from the land shape.
    bordersPath: path(mesh(countries, countries.objects.countries, (a, b) => a !== b)) ?? '',
    graticulePath: path(geoGraticule10()) ?? '',
    project(latitude, longitude) {
      const point = projection([longitude, latitude]);
      return point ? { x: round(point[0]), y: round(point[1]) } : null;
    },
  };
}
