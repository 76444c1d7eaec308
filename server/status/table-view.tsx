import { agrees, countOf, formatAge, formatDrift, formatLoad, formatPercent, formatPlace } from './format.js';
import { cachePageHref } from './links.js';
import { PAGE_STATES } from '../model/state.js';
import { OFFER_NOTE } from './state-reason.js';
import { DEFAULT_QUERY, PAGE_SIZES, type SortKey, type StatusQuery, type StatusRow, type TablePage } from './table-model.js';

/** `/?…` (`<root>?…`: the page's own path, `/shoal/` under --base-path /shoal) for the query with some fields changed; defaults are left out so links stay short. */
export function hrefFor(query: StatusQuery, change: Partial<StatusQuery> = {}, root = '/'): string {
  const next = { ...query, ...change };
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULT_QUERY) as (keyof StatusQuery)[]) {
    if (next[key] !== DEFAULT_QUERY[key]) params.set(key, String(next[key]));
  }
  const search = params.toString();
  return search ? `${root}?${search}` : root;
}

const COLUMNS: { key: SortKey; label: string; firstDir: StatusQuery['dir'] }[] = [
  { key: 'hostname', label: 'Hostname', firstDir: 'asc' },
  { key: 'port', label: 'Port', firstDir: 'asc' },
  { key: 'type', label: 'Type', firstDir: 'asc' },
  { key: 'upstream', label: 'Upstream', firstDir: 'asc' },
  { key: 'site', label: 'Site', firstDir: 'asc' },
  { key: 'location', label: 'City, country', firstDir: 'asc' },
  { key: 'load', label: 'Load', firstDir: 'desc' },
  { key: 'state', label: 'State', firstDir: 'asc' },
  { key: 'access', label: 'Access', firstDir: 'asc' },
  { key: 'age', label: 'Last heartbeat', firstDir: 'asc' },
];

const labelOf = (key: SortKey) => COLUMNS.find((c) => c.key === key)?.label.toLowerCase() ?? key;

/**
 * The table's caption: how many caches, how many the filter keeps, which ones are shown, in what order.
 * "1 cache", never "1 caches"; no "showing 1–1" when one page holds them all.
 */
export function tableCaption(page: Pick<TablePage, 'rows' | 'matching' | 'offset' | 'pages'>, total: number, query: Pick<StatusQuery, 'sort' | 'dir'>): string {
  if (total === 0) return 'No caches yet.';
  const filtered = page.matching === total ? '' : ` (${page.matching.toLocaleString('en')} ${agrees(page.matching, 'matches', 'match')} the filter)`;
  if (page.matching === 0) return `${countOf(total, 'cache')}${filtered}.`;
  const shown = page.pages > 1 ? `; showing ${page.offset + 1}–${page.offset + page.rows.length}` : '';
  return `${countOf(total, 'cache')}${filtered}${shown}, sorted by ${labelOf(query.sort)} ${query.dir === 'asc' ? 'ascending' : 'descending'}.`;
}

function SortHeader(props: { column: (typeof COLUMNS)[number]; query: StatusQuery; root: string }) {
  const { column, query, root } = props;
  const active = query.sort === column.key;
  const dir = active ? (query.dir === 'asc' ? 'desc' : 'asc') : column.firstDir;
  return (
    <th scope="col" aria-sort={active ? (query.dir === 'asc' ? 'ascending' : 'descending') : undefined} class={`col-${column.key}`}>
      <a id={`sort-${column.key}`} class="nav" href={hrefFor(query, { sort: column.key, dir, page: 1 }, root)}>
        {column.label}
        <span class="sort-mark" aria-hidden="true">
          {active ? (query.dir === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </a>
    </th>
  );
}

/** Badges beside the state: an operator's drain, the feed, a drifting clock (each says why in words, too). */
function Badges(props: { row: StatusRow }) {
  const { row } = props;
  return (
    <>
      {row.draining ? <span class="badge draining">draining</span> : null}
      {row.source === 'feed' ? (
        <span class="badge feed" title="listed by the operator feed (--feed): it runs no agent, and stays while the feed lists it">
          feed
        </span>
      ) : null}
      {row.clockDrift === null ? null : (
        <span class="badge drift" title={formatDrift(row.clockDrift)}>
          clock {row.clockDrift > 0 ? '−' : '+'}
          {Math.abs(row.clockDrift).toFixed(1)} s
        </span>
      )}
    </>
  );
}

/** The state's badge and the badges beside it. */
function StateBadges(props: { row: StatusRow }) {
  return (
    <span class="state-line">
      <span class={`badge ${props.row.state}`}>{props.row.state}</span>
      <Badges row={props.row} />
    </span>
  );
}

/** Why, in words (every state has a reason), and what a lookup does with the cache: never only in a tooltip. */
function StateWhy(props: { row: StatusRow }) {
  const { row } = props;
  const note = OFFER_NOTE[row.offer];
  return (
    <>
      <span class="reason">{row.reason}</span>
      {note ? <span class="offer-note">{note}</span> : null}
      {row.clockDrift === null ? null : <span class="offer-note drift-note">{formatDrift(row.clockDrift)}</span>}
    </>
  );
}

function LoadBar(props: { row: StatusRow }) {
  const { row } = props;
  return (
    <meter min={0} max={row.maxLoad} low={row.maxLoad * 0.6} high={row.maxLoad * 0.85} optimum={0} value={Math.min(row.load, row.maxLoad)} aria-hidden="true" />
  );
}

function Row(props: { row: StatusRow; base: string }) {
  const { row, base } = props;
  const fraction = row.load / row.maxLoad;
  return (
    <tr data-id={row.id} class={row.clockDrift === null ? row.state : `${row.state} drift`}>
      <th scope="row" class="host">
        <a href={cachePageHref(base, row.id)}>{row.hostname}</a>
      </th>
      <td class="num">{row.port}</td>
      <td>{row.type}</td>
      <td>{row.upstream}</td>
      <td class="wrap">{row.site ?? <span class="none">—</span>}</td>
      <td class="wrap">{formatPlace(row) ?? <span class="none">unknown</span>}</td>
      <td class="load">
        <span class="load-cell">
          <LoadBar row={row} />
          <span>{formatPercent(fraction)}</span>
        </span>
        <span class="sub" title={`of its max load, ${formatLoad(row.maxLoad)}`}>
          {formatLoad(row.load)}
        </span>
      </td>
      <td class="state">
        <StateBadges row={row} />
        <StateWhy row={row} />
      </td>
      <td>{row.access}</td>
      <td>
        <time datetime={new Date(row.lastActiveMs).toISOString()}>{formatAge(row.ageSeconds)} ago</time>
      </td>
    </tr>
  );
}

/** The same cache as a card, for narrow screens (the stylesheet shows one or the other). */
function Card(props: { row: StatusRow; base: string }) {
  const { row, base } = props;
  const fraction = row.load / row.maxLoad;
  const place = formatPlace(row);
  return (
    <li class={`card ${row.state}${row.clockDrift === null ? '' : ' drift'}`} data-id={row.id}>
      <div class="card-head">
        <a class="host" href={cachePageHref(base, row.id)}>
          {row.hostname}
          <span class="port">:{row.port}</span>
        </a>
        <StateBadges row={row} />
      </div>
      <div class="card-state">
        <StateWhy row={row} />
      </div>
      <div class="card-load">
        <LoadBar row={row} />
        <span>
          {formatPercent(fraction)} <span class="muted">· {formatLoad(row.load)} of {formatLoad(row.maxLoad)}</span>
        </span>
      </div>
      <dl class="card-facts">
        <div>
          <dt>Upstream</dt>
          <dd>
            {row.upstream} <span class="muted">({row.type})</span>
          </dd>
        </div>
        <div>
          <dt>Where</dt>
          <dd>
            {place ?? <span class="none">unknown</span>}
            {row.site ? <span class="muted"> · {row.site}</span> : null}
          </dd>
        </div>
        <div>
          <dt>Heard</dt>
          <dd>
            <time datetime={new Date(row.lastActiveMs).toISOString()}>{formatAge(row.ageSeconds)} ago</time>
            <span class="muted"> · {row.access}</span>
          </dd>
        </div>
      </dl>
    </li>
  );
}

function Pager(props: { page: TablePage; query: StatusQuery; root: string }) {
  const { page, query, root } = props;
  const link = (id: string, label: string, target: number, enabled: boolean) =>
    enabled ? (
      <a id={id} class="nav" href={hrefFor(query, { page: target }, root)}>
        {label}
      </a>
    ) : (
      <span class="disabled" aria-disabled="true">
        {label}
      </span>
    );
  // The stylesheet keeps each item on one line ("« First" never breaks); the pager wraps between items.
  return (
    <nav class="pager" aria-label="Table pages">
      {link('page-first', '« First', 1, page.page > 1)}
      {link('page-prev', '‹ Previous', page.page - 1, page.page > 1)}
      <span aria-current="page">
        Page {page.page} of {page.pages}
      </span>
      {link('page-next', 'Next ›', page.page + 1, page.page < page.pages)}
      {link('page-last', 'Last »', page.pages, page.page < page.pages)}
    </nav>
  );
}

/** No cache at all: say how caches get here, rather than an empty table. */
function NoCachesYet(props: { base: string }) {
  return (
    <div id="empty-state" class="empty-state">
      <h3>No caches yet</h3>
      <p>
        A cache is listed once its <code>shoal-agent</code> sends a heartbeat to the RabbitMQ exchange this server consumes (every 30 s by default), or when the operator
        feed (<code>--feed</code>) lists it; it leaves the list when its heartbeats stop for <code>--cache-ttl</code> seconds.
      </p>
      <ul>
        <li>
          Run an agent beside each Squid or Varnish: <code>docs/install.md</code>, “4. The agent”.
        </li>
        <li>
          List caches that run no agent: <code>docs/operations.md</code>, “Caches that run no agent (the operator feed)”.
        </li>
        <li>
          What this server holds, as JSON: <a href={`${props.base}/api/v1/caches`}>{props.base}/api/v1/caches</a>.
        </li>
      </ul>
    </div>
  );
}

/** The table, its cards and its pager: the part the script swaps on sort, page, filter and refresh. */
export function CacheTable(props: { page: TablePage; query: StatusQuery; total: number; root: string; base: string }) {
  const { page, query, total, root, base } = props;
  if (total === 0) {
    return (
      <div id="table-region">
        <NoCachesYet base={base} />
      </div>
    );
  }
  const caption = tableCaption(page, total, query);
  return (
    <div id="table-region">
      {/* The table's caption is hidden with the table on narrow screens; this says the same above the cards. */}
      <p class="caption-narrow">{caption}</p>
      <div class="table-scroll" tabindex={0} role="region" aria-labelledby="cache-table-caption">
        <table id="cache-table">
          <caption id="cache-table-caption">{caption}</caption>
          <thead>
            <tr>
              {COLUMNS.map((column) => (
                <SortHeader column={column} query={query} root={root} />
              ))}
            </tr>
          </thead>
          <tbody>
            {page.rows.length === 0 ? (
              <tr>
                <td colspan={COLUMNS.length} class="empty">
                  No cache matches the filter.{' '}
                  <a class="nav" href={hrefFor(query, { q: '', state: 'all', page: 1 }, root)}>
                    Show every cache
                  </a>
                </td>
              </tr>
            ) : (
              page.rows.map((row) => <Row row={row} base={base} />)
            )}
          </tbody>
        </table>
      </div>
      <ol id="cache-cards" class="cards" aria-label="Caches">
        {page.rows.length === 0 ? <li class="card empty">No cache matches the filter.</li> : page.rows.map((row) => <Card row={row} base={base} />)}
      </ol>
      {page.pages > 1 ? <Pager page={page} query={query} root={root} /> : null}
    </div>
  );
}

/** Filter form: a plain GET form, so it works without the script too. */
export function FilterForm(props: { query: StatusQuery; root: string }) {
  const { query, root } = props;
  return (
    <form id="filter" class="filter" role="search" method="get" action={root}>
      <label class="grow">
        Filter <input type="search" name="q" value={query.q} placeholder="host, site, city, country, address" maxlength={100} />
      </label>
      <label>
        State{' '}
        <select name="state">
          {['all', ...PAGE_STATES].map((s) => (
            <option value={s} selected={query.state === s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Rows{' '}
        <select name="per">
          {PAGE_SIZES.map((n) => (
            <option value={String(n)} selected={query.per === n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      {/* The column headers sort the table; cards have no headers, so narrow screens show these two. */}
      <label class="narrow-only">
        Sort{' '}
        <select name="sort">
          {COLUMNS.map((c) => (
            <option value={c.key} selected={query.sort === c.key}>
              {c.label.toLowerCase()}
            </option>
          ))}
        </select>
      </label>
      <label class="narrow-only">
        Order{' '}
        <select name="dir">
          <option value="asc" selected={query.dir === 'asc'}>
            ascending
          </option>
          <option value="desc" selected={query.dir === 'desc'}>
            descending
          </option>
        </select>
      </label>
      <button type="submit">Apply</button>
    </form>
  );
}
