import { countOf, formatAge, formatLoad, formatPercent, formatPlace } from './format.js';
import { cachePageHref } from './links.js';
import { CLUSTER_DISTANCE, clusterCentre, clusterPoints, clusterRadius } from './map-clusters.js';
import { PAGE_STATES, type PageState } from '../model/state.js';
import { OFFER_NOTE } from './state-reason.js';
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

/**
 * A dash along a circle of radius `r`: `fraction` of it drawn, starting `from` (a fraction) round it.
 * In user units, not `pathLength` (Chromium does not scale a dash offset by it); the stylesheet turns
 * the circle so that 0 is at 12 o'clock.
 */
export function arcDash(r: number, fraction: number, from = 0): { dasharray: string; dashoffset: string } {
  const round = (n: number) => Math.round(n * 100) / 100;
  const length = 2 * Math.PI * r;
  const f = Math.min(1, Math.max(0, fraction));
  return { dasharray: `${round(f * length)} ${round(length)}`, dashoffset: String(round(-from * length)) };
}

/** The tooltip's lines (also the marker's `<title>`, which is what shows without JavaScript). */
export function markerTooltip(row: StatusRow): string {
  const note = OFFER_NOTE[row.offer];
  return [
    `${row.hostname}:${row.port}`,
    `site: ${row.site ?? '—'}`,
    formatPlace({ ...row, countryCode: row.countryName ?? row.countryCode }) ?? 'location unknown',
    `load: ${formatLoad(row.load)} of ${formatLoad(row.maxLoad)} (${formatPercent(row.load / row.maxLoad)})`,
    `last heartbeat: ${formatAge(row.ageSeconds)} ago`,
    `${row.state}: ${row.reason}`,
    ...(note ? [note] : []),
  ].join('\n');
}

interface Placed {
  row: StatusRow;
  id: string;
  x: number;
  y: number;
  r: number;
}

/** A group's ring: one arc per state, its length that state's share, clockwise from the top. */
function StateSlices(props: { members: readonly Placed[]; r: number }) {
  const counts: Record<PageState, number> = { verified: 0, unverified: 0, failing: 0 };
  for (const m of props.members) counts[m.row.state] += 1;
  let start = 0;
  return (
    <>
      {PAGE_STATES.filter((s) => counts[s] > 0).map((s) => {
        const share = counts[s] / props.members.length;
        const dash = arcDash(props.r, share, start);
        start += share;
        return <circle class={`slice ${s}`} r={props.r} stroke-dasharray={dash.dasharray} stroke-dashoffset={dash.dashoffset} />;
      })}
    </>
  );
}

function groupTitle(members: readonly Placed[]): string {
  const counts = PAGE_STATES.map((s) => [s, members.filter((m) => m.row.state === s).length] as const).filter(([, n]) => n > 0);
  const names = members.slice(0, 8).map((m) => m.row.hostname);
  const more = members.length > names.length ? `, and ${members.length - names.length} more` : '';
  return [`${countOf(members.length, 'cache')} here (${counts.map(([s, n]) => `${n} ${s}`).join(', ')})`, `${names.join(', ')}${more}`, 'Click or zoom in to see each.'].join('\n');
}

/**
 * One pin per located cache (a link to its page, a circle sized by load and a ring filled to its load
 * fraction), and on top a badge for each group of pins too close to tell apart at this zoom (grouped pins
 * are hidden, not removed: the script regroups them when zoomed). Replaced whole on refresh. Pins are not
 * tab stops (5,000 of them would bury the page): the table is the keyboard and screen-reader view.
 */
export function Markers(props: { map: WorldMap; rows: readonly StatusRow[]; base: string }) {
  const scale = densityScale(props.rows.length);
  const placed: Placed[] = [];
  for (const row of props.rows) {
    const point = row.latitude !== null && row.longitude !== null ? props.map.project(row.latitude, row.longitude) : null;
    if (point) placed.push({ row, id: row.id, x: point.x, y: point.y, r: markerRadius(row, scale) });
  }
  // Big circles first, failing ones last, so small and red markers are never hidden under others.
  placed.sort((a, b) => (a.row.state === 'failing' ? 1 : 0) - (b.row.state === 'failing' ? 1 : 0) || b.r - a.r);
  const groups = clusterPoints(placed, CLUSTER_DISTANCE).filter((g) => g.length > 1);
  const grouped = new Set(groups.flatMap((g) => g.map((m) => m.id)));
  const ringWidth = Math.round(1.8 * scale * 10) / 10;
  const ringOf = (r: number) => Math.round((r + ringWidth) * 10) / 10;
  return (
    <g id="markers" aria-hidden="true" data-cluster-distance={String(CLUSTER_DISTANCE)}>
      {placed.map(({ row, x, y, r }) => (
        <a class={grouped.has(row.id) ? 'pin clustered' : 'pin'} href={cachePageHref(props.base, row.id)} tabindex={-1} data-id={row.id}>
          <circle class={`marker ${row.state}${row.draining ? ' draining' : ''}`} cx={x} cy={y} r={r} data-id={row.id}>
            <title>{markerTooltip(row)}</title>
          </circle>
          <circle class="ring" cx={x} cy={y} r={ringOf(r)} stroke-width={ringWidth} stroke-dasharray={arcDash(ringOf(r), row.load / row.maxLoad).dasharray} />
        </a>
      ))}
      <g id="clusters">
        {groups.map((members) => {
          const at = clusterCentre(members);
          const r = clusterRadius(members.length);
          return (
            <g class="cluster" transform={`translate(${at.x} ${at.y})`} data-ids={members.map((m) => m.id).join(' ')} data-x={at.x} data-y={at.y}>
              <title>{groupTitle(members)}</title>
              <circle class="cluster-bg" r={r} />
              <StateSlices members={members} r={r} />
              <text class="cluster-count">{members.length > 999 ? `${Math.round(members.length / 1000)}k` : members.length}</text>
            </g>
          );
        })}
      </g>
      {placed.length === 0 ? (
        <text class="map-empty" x={props.map.frame.width / 2} y={props.map.frame.height / 2}>
          {props.rows.length === 0 ? 'No cache to show yet' : 'No cache has a known location'}
        </text>
      ) : null}
    </g>
  );
}

/** The world map: static layers drawn once at start-up, markers, and empty layers the script fills. */
export function WorldMapSvg(props: { map: WorldMap; rows: readonly StatusRow[]; base: string }) {
  const { map } = props;
  const { frame } = map;
  return (
    <svg id="map" viewBox={`0 0 ${frame.width} ${frame.height}`} role="img" aria-labelledby="map-title" data-frame={JSON.stringify(frame)}>
      <title id="map-title">World map of the caches: colour by state, size and ring by load, numbered badges for groups</title>
      <path class="sphere" d={map.spherePath} />
      <path class="graticule" d={map.graticulePath} />
      <path class="land" d={map.landPath} />
      <path class="borders" d={map.bordersPath} />
      <Markers map={map} rows={props.rows} base={props.base} />
      <g id="answer-lines" aria-hidden="true" />
    </svg>
  );
}

/** Zoom buttons: the script shows them (without it the map does not zoom, and groups keep their tooltips). */
export function MapTools() {
  return (
    <div id="map-tools" class="map-tools" hidden>
      <button type="button" id="zoom-in" aria-label="Zoom in" title="Zoom in (+)">
        +
      </button>
      <button type="button" id="zoom-out" aria-label="Zoom out" title="Zoom out (−)">
        −
      </button>
      <button type="button" id="zoom-reset" aria-label="Show the whole world" title="Whole world (0)">
        ⌂
      </button>
    </div>
  );
}

/** Shown by the script when the wheel scrolls the page over the map rather than zooming it. */
export function MapHint() {
  return (
    <p id="map-hint" class="map-hint" role="status" hidden>
      Ctrl + scroll (⌘ + scroll on a Mac), or click the map first, to zoom
    </p>
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
        <svg class="legend-icon" viewBox="0 0 24 24" aria-hidden="true">
          <circle class="legend-pin" cx="12" cy="12" r="6" />
          <circle class="ring" cx="12" cy="12" r="8.5" stroke-width="2.2" stroke-dasharray={arcDash(8.5, 0.6).dasharray} />
        </svg>
        size and ring: load (a full ring is its max load)
      </li>
      <li>
        <svg class="legend-icon" viewBox="0 0 24 24" aria-hidden="true">
          <circle class="cluster-bg" cx="12" cy="12" r="10" />
          <circle class="slice verified" cx="12" cy="12" r="10" stroke-dasharray={arcDash(10, 0.7).dasharray} />
          <circle class="slice failing" cx="12" cy="12" r="10" stroke-dasharray={arcDash(10, 0.3, 0.7).dasharray} stroke-dashoffset={arcDash(10, 0.3, 0.7).dashoffset} />
          <text class="cluster-count" x="12" y="12">
            5
          </text>
        </svg>
        a group: how many caches, its ring their states; click or zoom in to see each
      </li>
      <li class="hint">Click the map to ask for that place; click a cache for its page.</li>
    </ul>
  );
}
