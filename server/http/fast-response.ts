/**
 * A response with a string body and fixed headers, handed to the HTTP layer as a plain object:
 * `@hono/node-server` then writes it with one `writeHead`, where `c.body(body, status, headers)` with
 * more than one header builds a WHATWG `Headers` object per request and converts it back.
 *
 * Header names are lower-case and in alphabetical order, which is how the `Headers` route writes them,
 * so the bytes on the wire are the same either way (the adapter then appends `Content-Length` in both).
 */
export function fastResponse(body: string, headers: Readonly<Record<string, string>>, status = 200): Response {
  // A copy per response: the node adapter adds Content-Length to the object it is given.
  return new Response(body, { status, headers: { ...headers } });
}

/** Header names lower-cased and sorted, as `Headers` iterates them. */
export function wireHeaders(headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers).map((k) => k.toLowerCase()).sort()) {
    out[name] = Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1] as string;
  }
  return Object.freeze(out);
}
