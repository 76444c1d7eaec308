import { z } from 'zod';

/** The part of `/api/v1/nearest` the client relies on; anything else in the answer is ignored. */
export const NearestAnswerSchema = z.object({
  caller: z.object({ ip: z.string().nullable(), located_by: z.string() }).loose(),
  note: z.string().nullable().optional(),
  caches: z.array(
    z
      .object({
        hostname: z.string(),
        port: z.number().int().min(1).max(65535),
        proxy: z.string().regex(/^http:\/\/[^\s"'`$;|]+$/),
        distance_km: z.number().nullable(),
        load: z.number(),
        score: z.number().nullable().optional(),
        local: z.boolean().nullable().optional(),
      })
      .loose(),
  ),
});

export type NearestAnswer = z.infer<typeof NearestAnswerSchema>;

export interface ServerAttempt {
  server: string;
  error: string;
}

export type FetchResult = { ok: true; server: string; answer: NearestAnswer; attempts: ServerAttempt[] } | { ok: false; attempts: ServerAttempt[] };

/**
 * Asks each server in order until one gives a valid answer. Each has its own timeout, cut short by the
 * run's deadline; servers left when the deadline has passed are not asked.
 */
export async function fetchNearest(options: {
  servers: readonly string[];
  count: number;
  timeoutMs: number;
  upstream?: 'cvmfs' | 'frontier' | 'any';
  /** Epoch ms after which no server is asked; with `now`. */
  deadlineMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
}): Promise<FetchResult> {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const attempts: ServerAttempt[] = [];
  for (const server of options.servers) {
    const left = options.deadlineMs === undefined ? options.timeoutMs : options.deadlineMs - now();
    if (left <= 0) {
      attempts.push({ server, error: 'not asked: the run is out of time' });
      continue;
    }
    const timeoutMs = Math.min(options.timeoutMs, left);
    const query = new URLSearchParams({ count: String(options.count), ...(options.upstream ? { upstream: options.upstream } : {}) });
    const url = `${server.replace(/\/+$/, '')}/api/v1/nearest?${query}`;
    try {
      const response = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const parsed = NearestAnswerSchema.safeParse(await response.json());
      if (!parsed.success) throw new Error(`unexpected answer: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
      return { ok: true, server, answer: parsed.data, attempts };
    } catch (error) {
      const e = error as Error;
      const cause = (e.cause as Error | undefined)?.message;
      attempts.push({ server, error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : cause ? `${e.message}: ${cause}` : e.message });
    }
  }
  return { ok: false, attempts };
}
