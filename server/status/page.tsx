import { countOf, formatLoad } from './format.js';
import { MapHint, MapLegend, MapTools, Markers, WorldMapSvg } from './map-view.js';
import { CacheTable, FilterForm } from './table-view.js';
import { TryPanel } from './try-box.js';
import type { StatusQuery, StatusRow, summarise, TablePage } from './table-model.js';
import type { WorldMap } from './world-map.js';
import type { GeoIpAge } from '../geo/geoip.js';
import { PageHead } from './page-head.js';

/** Everything one rendering of the page needs, computed by the route from the registry snapshot. */
export interface StatusView {
  map: WorldMap;
  rows: readonly StatusRow[];
  summary: ReturnType<typeof summarise>;
  page: TablePage;
  query: StatusQuery;
  nowMs: number;
  refreshSeconds: number;
  /** Asset URLs with a content hash, so browsers may cache them for good. */
  assets: { script: string; style: string };
  /** `--base-path` ('' or e.g. `/shoal`): every link, form and fetch of the page starts with it. */
  basePath: string;
  /** The GeoIP database's age: a stale one gets a notice at the top. */
  geoip: GeoIpAge;
}

/** A stale GeoIP database, said where an operator looking at the page sees it. */
function GeoIpNotice(props: { geoip: GeoIpAge }) {
  const { geoip } = props;
  if (!geoip.stale) return null;
  return (
    <p id="geoip-notice" class="notice" role="status">
      <strong>Old GeoIP database:</strong> built {geoip.built?.slice(0, 10)}, {countOf(geoip.ageDays ?? 0, 'day')} ago, so callers and caches may be placed in the wrong
      city or country. Get a current one (MaxMind's geoipupdate or DB-IP's free city database) and point --geoip-database at it: see docs/operations.md,
      "A current GeoIP database". The server loads a changed file without a restart.
    </p>
  );
}

function Summary(props: { view: StatusView }) {
  const { summary, nowMs } = props.view;
  return (
    <p id="summary" class="summary" data-generated={new Date(nowMs).toISOString()}>
      <strong>{summary.total}</strong> {summary.total === 1 ? 'cache' : 'caches'}
      {summary.total === 0 ? (
        ' yet. '
      ) : (
        <>
          :{' '}
          <span class="count verified">{summary.verified} verified</span>, <span class="count unverified">{summary.unverified} unverified</span>,{' '}
          <span class="count failing">{summary.failing} failing</span>; total load {formatLoad(summary.load)}.{' '}
        </>
      )}
      Updated{' '}
      <time datetime={new Date(nowMs).toISOString()}>{new Date(nowMs).toISOString().slice(11, 19)} UTC</time>.
    </p>
  );
}

/** What changes between refreshes: summary, markers and table. The script fetches this from `/status/live`. */
export function LiveParts(props: { view: StatusView }) {
  const { view } = props;
  return (
    <div>
      <Summary view={view} />
      {/* Inside an <svg> so the browser parses the markers as SVG, not as unknown HTML elements. */}
      <svg>
        <Markers map={view.map} rows={view.rows} base={view.basePath} />
      </svg>
      <CacheTable page={view.page} query={view.query} total={view.summary.total} root={`${view.basePath}/`} base={view.basePath} />
    </div>
  );
}

export function StatusPage(props: { view: StatusView }) {
  const { view } = props;
  const base = view.basePath;
  return (
    <html lang="en">
      <PageHead title="Shoal: cache status" stylesheet={view.assets.style} script={view.assets.script} />
      <body data-refresh-seconds={String(view.refreshSeconds)} data-base-path={base}>
        <a class="skip" href="#caches">
          Skip to the caches
        </a>
        <header class="top">
          <div class="brand">
            <h1>Shoal</h1>
            <p class="tagline">Which web caches are alive, where, and how loaded</p>
          </div>
          <div class="status-line">
            <Summary view={view} />
            <button type="button" id="refresh" class="js-only" hidden>
              Refresh
            </button>
          </div>
        </header>
        <GeoIpNotice geoip={view.geoip} />
        <main>
          <section class="map-panel" aria-label="Map">
            <div class="map-frame">
              <WorldMapSvg map={view.map} rows={view.rows} base={base} />
              <MapTools />
              <MapHint />
              <div id="tooltip" class="tooltip" role="tooltip" hidden />
            </div>
            <MapLegend />
          </section>
          <TryPanel base={base} />
          <section id="caches" class="caches" aria-labelledby="caches-heading">
            <div class="caches-head">
              <h2 id="caches-heading">Caches</h2>
              <FilterForm query={view.query} root={`${base}/`} />
            </div>
            <CacheTable page={view.page} query={view.query} total={view.summary.total} root={`${base}/`} base={base} />
          </section>
        </main>
        <footer class="foot muted">
          JSON: <a href={`${base}/api/v1/caches`}>{base}/api/v1/caches</a>, <a href={`${base}/api/v1/nearest`}>{base}/api/v1/nearest</a>. Map: Natural Earth (public domain) via world-atlas.
        </footer>
      </body>
    </html>
  );
}
