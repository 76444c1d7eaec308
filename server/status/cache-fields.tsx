/** The cache page's fields: where a cache is, its last heartbeat, Squid's figures (cache-page.tsx lays them out). */
import type { Child } from 'hono/jsx';
import { countOf, formatAge, formatDrift, formatLoad, formatPercent, formatPlace } from './format.js';
import type { CachePageView } from './cache-page.js';

export const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
const ageOf = (iso: string, nowMs: number) => formatAge(Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000)));
export const none = (text = '—') => <span class="none">{text}</span>;

/** One labelled field; `id` names it for tests and links (`field-<id>`). */
function Field(props: { id: string; label: string; children: Child }) {
  return (
    <div id={`field-${props.id}`}>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

export function When(props: { iso: string; nowMs: number }) {
  return (
    <time datetime={props.iso}>
      {ageOf(props.iso, props.nowMs)} ago <span class="muted">({utc(props.iso)})</span>
    </time>
  );
}

export function Identity(props: { view: CachePageView }) {
  const d = props.view.detail;
  const l = d.location;
  const place = l ? formatPlace({ city: l.city, countryCode: l.country_name ?? l.country_code, latitude: l.latitude, longitude: l.longitude }) : null;
  return (
    <section class="cache-card" aria-labelledby="identity-heading">
      <h2 id="identity-heading">Where it is</h2>
      <dl class="fields">
        <Field id="proxy" label="Proxy">
          <code>{d.proxy}</code>
        </Field>
        <Field id="port" label="Port">
          {d.port}
        </Field>
        <Field id="type" label="Type, upstream">
          {d.cache_type}, {d.upstream}
        </Field>
        <Field id="site" label="Site">
          {d.site ?? none()}
        </Field>
        <Field id="access" label="Access">
          {d.access}
        </Field>
        <Field id="address" label="Addresses">
          {[
            ['public', d.public_ip],
            ['private', d.private_ip],
            ['external (NAT)', d.external_ip],
          ]
            .filter(([, ip]) => ip)
            .map(([kind, ip]) => (
              <span class="address">
                <code>{ip}</code> <span class="muted">{kind}</span>
              </span>
            ))}
          {d.public_ip || d.private_ip || d.external_ip ? null : none('none given')}
        </Field>
        <Field id="location" label="Location">
          {l ? (
            <>
              {place} <span class="muted">({l.latitude.toFixed(2)}, {l.longitude.toFixed(2)}; {l.source === 'declared' ? 'declared by its agent' : 'from GeoIP'})</span>
            </>
          ) : (
            none('unknown: ranked after every located cache')
          )}
        </Field>
        <Field id="source" label="Listed by">
          {d.source === 'feed' ? 'the operator feed (--feed)' : 'its agent’s heartbeats'}
        </Field>
        <Field id="id" label="Id">
          <code>{d.id}</code>
        </Field>
      </dl>
    </section>
  );
}

export function Heartbeat(props: { view: CachePageView }) {
  const { detail: d, row, nowMs } = props.view;
  return (
    <section class="cache-card" aria-labelledby="heartbeat-heading">
      <h2 id="heartbeat-heading">Last heartbeat</h2>
      <dl class="fields">
        <Field id="last-heartbeat" label="Received">
          <When iso={d.last_heartbeat} nowMs={nowMs} />
        </Field>
        <Field id="load" label="Load">
          {formatLoad(d.load)} of {formatLoad(row.maxLoad)} <span class="muted">({formatPercent(d.load / row.maxLoad)})</span>
        </Field>
        <Field id="max-load" label="Max load">
          {d.max_load === null ? (
            <>
              {formatLoad(row.maxLoad)} <span class="muted">(the server’s default: its agent sends none)</span>
            </>
          ) : (
            formatLoad(d.max_load)
          )}
        </Field>
        <Field id="status" label="Agent’s self-check">
          {d.status}
          {d.status_reason ? <span class="muted">: {d.status_reason}</span> : null}
        </Field>
        <Field id="verified" label="Agent says verified">
          {d.verified ? 'yes' : 'no'}
        </Field>
        <Field id="clock-drift" label="Clock drift">
          {d.clock_drift_s} s{' '}
          <span class={d.clock_drift ? 'drift-text' : 'muted'}>({d.clock_drift ? formatDrift(d.clock_drift_s) : 'within 10 s'})</span>
        </Field>
        <Field id="signed-by" label="Signed by">
          {d.signed_by ? <code>{d.signed_by}</code> : none('unsigned')}
        </Field>
        <Field id="created" label="Listed since">
          <When iso={d.created} nowMs={nowMs} />
        </Field>
      </dl>
    </section>
  );
}

export function SquidFigures(props: { view: CachePageView }) {
  const d = props.view.detail;
  const notSent = none('not sent by its agent');
  return (
    <section class="cache-card" aria-labelledby="squid-heading">
      <h2 id="squid-heading">Squid figures</h2>
      <dl class="fields">
        <Field id="request-rate" label="Request rate">
          {d.request_rate === null ? notSent : `${d.request_rate} requests/s`}
        </Field>
        <Field id="client-count" label="Clients">
          {d.client_count === null ? notSent : countOf(d.client_count, 'client')}
        </Field>
      </dl>
      {d.request_rate === null && d.client_count === null ? (
        <p class="muted small">Its agent reads them from Squid’s cache manager (mgr:info); the original agent and agents run with --cache-manager-url off send none.</p>
      ) : null}
    </section>
  );
}
