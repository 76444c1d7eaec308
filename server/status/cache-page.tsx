import type { CacheDetailView } from '../render/cache-detail.js';
import type { LoadSample } from '../registry/load-history.js';
import { Heartbeat, Identity, SquidFigures } from './cache-fields.js';
import { Samples, Verification } from './cache-history-view.js';
import { LoadChart } from './load-chart.js';
import { OFFER_NOTE } from './state-reason.js';
import type { StatusRow } from './table-model.js';
import { PageHead } from './page-head.js';

/** What one rendering of a cache's page needs: the API's view of it, and the status page's reading of it. */
export interface CachePageView {
  /** `/api/v1/caches/<id>`'s body: the page shows the same data. */
  detail: CacheDetailView;
  /** The same row the status table shows (state, its reason, offer state, effective max load, drift). */
  row: StatusRow;
  /** Its load samples as the history keeps them (the chart's input; `detail.history.load` is their JSON). */
  samples: readonly LoadSample[];
  nowMs: number;
  windowMs: number;
  bucketMs: number;
  basePath: string;
  stylesheet: string;
}

function StateLine(props: { view: CachePageView }) {
  const { row, detail } = props.view;
  const note = OFFER_NOTE[row.offer];
  return (
    <div id="cache-state" class="cache-state">
      <span class={`badge ${row.state}`}>{row.state}</span>
      {row.draining ? <span class="badge draining">draining</span> : null}
      {detail.source === 'feed' ? <span class="badge feed">feed</span> : null}
      {row.clockDrift === null ? null : (
        <span class="badge drift">
          clock {row.clockDrift > 0 ? '−' : '+'}
          {Math.abs(row.clockDrift).toFixed(1)} s
        </span>
      )}
      <span id="state-reason" class="reason">{row.reason}</span>
      {note ? <span class="muted offer-note">{note}</span> : null}
    </div>
  );
}

/** A cache's own page (`/caches/<id>`): server-rendered, no script; what `/api/v1/caches/<id>` answers, for people. */
export function CachePage(props: { view: CachePageView }) {
  const { view } = props;
  const d = view.detail;
  const base = view.basePath;
  return (
    <html lang="en">
      <PageHead title={`${d.hostname}: Shoal`} stylesheet={view.stylesheet} />
      <body class="cache-page" data-id={d.id}>
        <header class="top cache-top">
          <div>
            <a id="back" class="back" href={`${base}/`}>
              ← All caches
            </a>
            <h1 id="cache-hostname">{d.hostname}</h1>
            <StateLine view={view} />
          </div>
        </header>
        <main class="cache-main">
          <section class="cache-card wide" aria-labelledby="chart-heading">
            <h2 id="chart-heading">Load, last hour</h2>
            <LoadChart samples={view.samples} nowMs={view.nowMs} windowMs={view.windowMs} bucketMs={view.bucketMs} maxLoad={view.row.maxLoad} />
            <Samples view={view} />
          </section>
          <Identity view={view} />
          <Heartbeat view={view} />
          <SquidFigures view={view} />
          <Verification view={view} />
        </main>
        <footer class="foot muted">
          History as this server process saw it (kept in memory; with several replicas each keeps its own). JSON:{' '}
          <a href={`${base}/api/v1/caches/${encodeURIComponent(d.id)}`}>
            {base}/api/v1/caches/{d.id}
          </a>
          .
        </footer>
      </body>
    </html>
  );
}

/** The page for an id that names no listed cache (404) or is not an id at all (400). */
export function NoCachePage(props: { message: string; basePath: string; stylesheet: string }) {
  return (
    <html lang="en">
      <PageHead title="No such cache: Shoal" stylesheet={props.stylesheet} />
      <body class="cache-page">
        <header class="top cache-top">
          <div>
            <a id="back" class="back" href={`${props.basePath}/`}>
              ← All caches
            </a>
            <h1>No such cache</h1>
            <p id="no-cache">{props.message}</p>
          </div>
        </header>
      </body>
    </html>
  );
}
