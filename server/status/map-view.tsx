import { formatAge, formatLoad, formatPercent, formatPlace } from './format.js';
import type { StatusRow } from './table-model.js';
import type { WorldMap } from './world-map.js';

/** Marker radius from the load fraction: area grows with load, so a busy cache stands out. */
export function markerRadius(row: Pick<StatusRow, 'load' | 'maxLoad'>, scale = 1): number {
  const fraction = Math.min(1, Math.max(0, row.load / row.maxLoad));
  return Math.round((3.5 + 6.5 * Math.sqrt(fraction)) * scale * 10) / 10;
}

/** Smaller markers when there are many, so thousands of caches still leave the land visible. */
export function densityScale(markers: number): number {
  return Math.min(1, Math.max(0.4, Math.sqrt(300 / Math.max(1, markers))));
}

/** The tooltip's lines (also the marker's `<title>`, which is what shows without JavaScript). */
export function markerTooltip(row: StatusRow): string {
  return [
    `${row.hostname}:${row.port}`,
    `site: ${row.site ?? '—'}`,
    formatPlace({ ...row, countryCode: row.countryName ?? row.countryCode }) ?? 'location unknown',
    `load: ${formatLoad(row.load)} of ${formatLoad(row.maxLoad)} (${formatPercent(row.load / row.maxLoad)})`,
    `last heartbeat: ${formatAge(row.ageSeconds)} ago`,
    row.state === 'failing' && row.reason ? `failing: ${row.reason}` : row.state,
    ...(row.draining ? ['draining: never offered'] : []),
  ].join('\n');
}

/**
 * One circle per located cache. The group is replaced whole on refresh. Markers are not tab stops
 * (5,000 of them would bury the page): the table is the keyboard and screen-reader view of the same data.
 */
export function Markers(props: { map: WorldMap; rows: readonly StatusRow[] }) {
  const scale = densityScale(props.rows.length);
  const placed = props.rows
    .map((row) => ({ row, point: row.latitude !== null && row.longitude !== null ? props.map.project(row.latitude, row.longitude) : null, r: markerRadius(row, scale) }))
    .filter((m) => m.point !== null)
    // Big circles first, failing ones last, so small and red markers are never hidden under others.
    .sort((a, b) => (a.row.state === 'failing' ? 1 : 0) - (b.row.state === 'failing' ? 1 : 0) || b.r - a.r);
  return (
    <g id="markers" aria-hidden="true">
      {placed.map(({ row, point, r }) => (
        <circle class={`marker ${row.state}${row.draining ? ' draining' : ''}`} cx={point?.x} cy={point?.y} r={r} data-id={row.id}>
          <title>{markerTooltip(row)}</title>
        </circle>
      ))}
    </g>
  );
}

/** The world map: static layers drawn once at start-up, markers, and empty layers the script fills. */
export function WorldMapSvg(props: { map: WorldMap; rows: readonly StatusRow[] }) {
  const { map } = props;
  const { frame } = map;
  return (
    <svg
      id="map"
      viewBox={`0 0 ${frame.width} ${frame.height}`}
      role="img"
      aria-labelledby="map-title"
      data-frame={JSON.stringify(frame)}
    >
      <title id="map-title">World map of the caches, coloured by state and sized by load</title>
      <path class="sphere" d={map.spherePath} />
      <path class="graticule" d={map.graticulePath} />
      <path class="land" d={map.landPath} />
      <path class="borders" d={map.bordersPath} />
      <Markers map={map} rows={props.rows} />
      <g id="answer-lines" aria-hidden="true" />
    </svg>
  );
}

export function MapLegend() {
  return (
    <ul class="legend" aria-label="Map legend">
      <li>
        <span class="dot verified" aria-hidden="true" /> verified
      </li>
      <li>
        <span class="dot unverified" aria-hidden="true" /> unverified
      </li>
      <li>
        <span class="dot failing" aria-hidden="true" /> failing
      </li>
      <li>
        <span class="dot size" aria-hidden="true" /> size: load
      </li>
      <li class="hint">Click the map to ask for that place.</li>
    </ul>
  );
}
