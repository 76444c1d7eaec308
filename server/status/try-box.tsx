/**
 * "Try an address": what a VM there would be told. It asks `/api/v1/nearest` exactly as `shoal-client`
 * does (client/client.ts: `count` = its --count plus 5 spares, `upstream=cvmfs`, or `frontier` with
 * --frontier), so the caches it lists first are the ones `shoal-client --dump` writes, in that order,
 * when they pass the client's test fetch. A test holds these numbers to the client's own defaults.
 */

/** shoal-client's default --count: how many proxies it writes. */
export const CLIENT_DEFAULT_COUNT = 3;
/** Spares it asks for beyond --count, so caches failing its test fetch can be dropped (as the original asks n+5). */
export const CLIENT_SPARES = 5;

export const TRY_UPSTREAMS = [
  { value: 'cvmfs', label: 'CVMFS (what shoal-client asks)' },
  { value: 'frontier', label: 'Frontier (shoal-client --frontier)' },
  { value: 'any', label: 'any upstream' },
] as const;

export function TryPanel(props: { base: string }) {
  const { base } = props;
  return (
    <section class="try-panel" aria-labelledby="try-heading">
      <h2 id="try-heading">Try an address</h2>
      <p class="muted">
        What would <code>shoal-client</code> on a VM at this address write? The answer comes from the same lookup as <code>/api/v1/nearest</code>, asked the way the client
        asks.
      </p>
      {/* Without the script this form still works: the browser shows the API's JSON for these parameters. */}
      <form id="try-form" method="get" action={`${base}/api/v1/nearest`} data-client-spares={String(CLIENT_SPARES)}>
        <label for="try-input">IP address, or latitude, longitude</label>
        <div class="row">
          <input id="try-input" name="ip" type="text" required inputmode="text" autocomplete="off" spellcheck={false} placeholder="188.184.1.1 or 46.2, 6.1" />
          <button type="submit">Ask</button>
        </div>
        <div class="row options">
          <label>
            Upstream{' '}
            <select id="try-upstream" name="upstream">
              {TRY_UPSTREAMS.map((u) => (
                <option value={u.value} selected={u.value === 'cvmfs'}>
                  {u.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Proxies{' '}
            <input id="try-count" name="count" type="number" min={1} max={20} value={String(CLIENT_DEFAULT_COUNT)} aria-describedby="try-count-help" />
          </label>
        </div>
        <p id="try-count-help" class="muted small">
          Proxies: the client's <code>--count</code> (default {CLIENT_DEFAULT_COUNT}); it asks for {CLIENT_SPARES} more as spares for any that fail its test fetch.
        </p>
      </form>
      <div id="try-result" class="try-result" aria-live="polite">
        <p class="muted">The answer lists the caches in the order the client would write them, best first, and draws a line to each on the map.</p>
      </div>
    </section>
  );
}
