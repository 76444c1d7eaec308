/** What the parent asks the load-generator process to do, and what it gets back. */
export interface LoadJob {
  /** Server base URL (loopback). */
  url: string;
  /** Request paths, used in turn. */
  paths: string[];
  /** `X-Forwarded-For` values, used in turn (the server trusts 127.0.0.1 as a proxy). */
  forwardedFor: string[];
  connections: number;
  durationS: number;
  /** Requests per second over all connections; absent: as fast as the server answers. */
  overallRate?: number;
}

export interface LoadResult {
  requests: number;
  /** 2xx responses per second over the run. */
  rps: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Mean response size (headers and body) as autocannon counted it. */
  bytesPerResponse: number;
}

export type LoadReply = { ok: true; result: LoadResult } | { ok: false; error: string };
