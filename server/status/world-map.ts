import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { geoGraticule10, geoNaturalEarth1, geoPath, type GeoProjection } from 'd3-geo';
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

/**
 * The world outline as SVG paths, projected once (never per request). The layers are built on first
 * use, i.e. the first `GET /`: reading and projecting the atlas costs ~17 MB of RSS at its peak, which a
 * server nobody opens the status page of should not carry.
 */
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

export type Atlas = Topology<{ land: GeometryCollection; countries: GeometryCollection }>;

export function readAtlas(file: string): Atlas {
  // world-atlas ships plain JSON files (Natural Earth 1:110m, public domain); read them from the package.
  const path = createRequire(import.meta.url).resolve(`world-atlas/${file}`);
  return JSON.parse(readFileSync(path, 'utf8')) as Atlas;
}

const round = (n: number) => Math.round(n * 10) / 10;

type Layers = Pick<WorldMap, 'spherePath' | 'landPath' | 'bordersPath' | 'graticulePath'>;

/**
 * A map whose projection (cheap) and layers (the atlas, costly) are each built once, when first asked for.
 * `loadAtlas` reads one world-atlas file (default: from the package; tests count the reads).
 */
export function createWorldMap(options: { loadAtlas?: (file: string) => Atlas } = {}): WorldMap {
  const loadAtlas = options.loadAtlas ?? readAtlas;
  let projection: GeoProjection | null = null;
  let frame: MapFrame | null = null;
  let layers: Layers | null = null;
  const theProjection = (): GeoProjection => {
    projection ??= geoNaturalEarth1().fitExtent(
      [
        [MARGIN, MARGIN],
        [MAP_WIDTH - MARGIN, MAP_HEIGHT - MARGIN],
      ],
      { type: 'Sphere' },
    );
    return projection;
  };
  const theLayers = (): Layers => {
    if (layers) return layers;
    const path = geoPath(theProjection()).digits(1);
    const land = loadAtlas('land-110m.json');
    const countries = loadAtlas('countries-110m.json');
    layers = {
      spherePath: path({ type: 'Sphere' }) ?? '',
      landPath: path(feature(land, land.objects.land)) ?? '',
      // Only borders between two countries: coastlines come from the land shape.
      bordersPath: path(mesh(countries, countries.objects.countries, (a, b) => a !== b)) ?? '',
      graticulePath: path(geoGraticule10()) ?? '',
    };
    return layers;
  };

  return {
    get frame() {
      if (frame) return frame;
      const p = theProjection();
      const [translateX, translateY] = p.translate();
      frame = { width: MAP_WIDTH, height: MAP_HEIGHT, scale: p.scale(), translateX, translateY };
      return frame;
    },
    get spherePath() {
      return theLayers().spherePath;
    },
    get landPath() {
      return theLayers().landPath;
    },
    get bordersPath() {
      return theLayers().bordersPath;
    },
    get graticulePath() {
      return theLayers().graticulePath;
    },
    project(latitude, longitude) {
      const point = theProjection()([longitude, latitude]);
      return point ? { x: round(point[0]), y: round(point[1]) } : null;
    },
  };
}
