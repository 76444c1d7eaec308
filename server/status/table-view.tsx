import { formatAge, formatDrift, formatLoad, formatPercent, formatPlace } from './format.js';
import { PAGE_STATES } from '../model/state.js';
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
  { key: 'state', label: 'Verified', firstDir: 'asc' },
  { key: 'access', label: 'Access', firstDir: 'asc' },
  { key: 'age', label: 'Last heartbeat', firstDir: 'asc' },
];

function SortHeader(props: { column: (typeof COLUMNS)[number]; query: StatusQuery; root: string }) {
  const { column, query, root } = props;
  const active = query.sort === column.key;
  const dir = active ? (query.dir === 'asc' ? 'desc' : 'asc') : column.firstDir;
  return (
    <th scope="col" aria-sort={active ? (query.dir === 'asc' ? 'ascending' : 'descending') : undefined} class={`col-${column.key}`}>
      <a id={`sort-${column.key}`} href={hrefFor(query, { sort: column.key, dir, page: 1 }, root)}>
        {column.label}
        <span class="sort-mark" aria-hidden="true">
          {active ? (query.dir === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </a>
    </th>
  );
}

function Row(props: { row: StatusRow }) {
  const { row } = props;
  const fraction = row.load / row.maxLoad;
  return (
    <tr data-id={row.id} class={row.clockDrift === null ? row.state : `${row.state} drift`}>
      <th scope="row" class="host">
        {row.hostname}
      </th>
      <td class="num">{row.port}</td>
      <td>{row.type}</td>
      <td>{row.upstream}</td>
      <td>{row.site ?? <span class="none">—</span>}</td>
      <td>{formatPlace(row) ?? <span class="none">unknown</span>}</td>
      <td class="load">
        <span class="load-cell">
        <meter min={0} max={row.maxLoad} low={row.maxLoad * 0.6} high={row.maxLoad * 0.85} optimum={0} value={Math.min(row.load, row.maxLoad)} aria-hidden="true" />
        <span>
          {formatLoad(row.load)} <span class="muted">({formatPercent(fraction)})</span>
        </span>
        </span>
      </td>
      <td>
        <span class={`badge ${row.state}`} title={row.reason ?? undefined}>
          {row.state}
        </span>
        {row.draining ? (
          <span class="badge draining" title="drained by an operator: listed, never offered">
            draining
          </span>
        ) : null}
      </td>
      <td>{row.access}</td>
      <td>
        <time datetime={new Date(row.lastActiveMs).toISOString()}>{formatAge(row.ageSeconds)} ago</time>
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
      </td>
    </tr>
  );
}

function Pager(props: { page: TablePage; query: StatusQuery; root: string }) {
  const { page, query, root } = props;
  const link = (id: string, label: string, target: number, enabled: boolean) =>
    enabled ? (
      <a id={id} href={hrefFor(query, { page: target }, root)}>
        {label}
      </a>
    ) : (
      <span class="disabled" aria-disabled="true">
        {label}
      </span>
    );
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

/** The table and its pager: the part the script swaps on sort, page, filter and refresh. */
export function CacheTable(props: { page: TablePage; query: StatusQuery; total: number; root: string }) {
  const { page, query, total, root } = props;
  const shown = page.rows.length === 0 ? 'none' : `${page.offset + 1}–${page.offset + page.rows.length}`;
  const filtered = page.matching !== total ? ` (${page.matching} match the filter)` : '';
  return (
    <div id="table-region">
      <div class="table-scroll">
        <table id="cache-table">
          <caption>
            {total} caches{filtered}; showing {shown}, sorted by {COLUMNS.find((c) => c.key === query.sort)?.label.toLowerCase()}{' '}
            {query.dir === 'asc' ? 'ascending' : 'descending'}.
          </caption>
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
                  {total === 0 ? 'No cache has sent a heartbeat yet.' : 'No cache matches the filter.'}
                </td>
              </tr>
            ) : (
              page.rows.map((row) => <Row row={row} />)
            )}
          </tbody>
        </table>
      </div>
      <Pager page={page} query={query} root={root} />
    </div>
  );
}

/** Filter form: a plain GET form, so it works without the script too. */
export function FilterForm(props: { query: StatusQuery; root: string }) {
  const { query, root } = props;
  return (
    <form id="filter" class="filter" role="search" method="get" action={root}>
      <label>
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
      <input type="hidden" name="sort" value={query.sort} />
      <input type="hidden" name="dir" value={query.dir} />
      <button type="submit">Apply</button>
    </form>
  );
}
