/** The cache page's history besides the chart: the server's last checks, and the load samples as a table. */
import { countOf, formatLoad } from './format.js';
import type { CachePageView } from './cache-page.js';
import { none, utc, When } from './cache-fields.js';
import { VERIFICATION_TEXT } from './state-reason.js';

export function Verification(props: { view: CachePageView }) {
  const { detail: d, nowMs } = props.view;
  const outcomes = d.history.verification;
  return (
    <section class="cache-card" aria-labelledby="verification-heading">
      <h2 id="verification-heading">Server’s verification</h2>
      <p id="verification-now">
        {d.verification ? (
          <>
            <span class={`badge ${d.verification.ok ? 'verified' : 'failing'}`}>{d.verification.ok ? 'passed' : 'failed'}</span> {VERIFICATION_TEXT[d.verification.class]},{' '}
            <When iso={d.verification.checked_at} nowMs={nowMs} />
          </>
        ) : (
          <span class="muted">Not checked by the server yet.</span>
        )}
      </p>
      {outcomes.length === 0 ? (
        <p id="verification-history-empty" class="muted small">
          No check recorded by this server process (verification may be off, or its rounds have not reached this cache since the process started).
        </p>
      ) : (
        <>
          <h3 class="small">Last {countOf(outcomes.length, 'check')}, newest first</h3>
          <ol id="verification-history" class="outcomes">
            {outcomes.map((o) => (
              <li class={o.ok ? 'ok' : 'failed'}>
                <span class={`badge ${o.ok ? 'verified' : 'failing'}`}>{o.ok ? 'passed' : 'failed'}</span> {VERIFICATION_TEXT[o.class]}{' '}
                <span class="muted">
                  <When iso={o.checked_at} nowMs={nowMs} />
                </span>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

export function Samples(props: { view: CachePageView }) {
  const samples = props.view.detail.history.load;
  if (samples.length === 0) return null;
  return (
    <details class="samples">
      <summary>The {countOf(samples.length, 'sample')}</summary>
      <div class="samples-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Load</th>
              <th scope="col">Requests/s</th>
              <th scope="col">Clients</th>
            </tr>
          </thead>
          <tbody>
            {[...samples].reverse().map((s) => (
              <tr>
                <td>
                  <time datetime={s.at}>{utc(s.at)}</time>
                </td>
                <td class="num">{formatLoad(s.load)}</td>
                <td class="num">{s.request_rate ?? none()}</td>
                <td class="num">{s.client_count ?? none()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
