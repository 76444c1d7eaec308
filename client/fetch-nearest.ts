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
        proxy: z.string().regex(/^http:\/\/\S+$/),
        distance_km: z.number().nullable(),
        load: z.number(),
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

/** Asks each server in order (each with its own timeout) until one gives a valid answer. */
export async function fetchNearest(options: {
  servers: readonly string[];
  count: number;
  timeoutMs: number;
  fetch?: typeof fetch;
}): Promise<FetchResult> {
  const doFetch = options.fetch ?? fetch;
  const attempts: ServerAttempt[] = [];
  for (const server of options.servers) {
    const url = `${server.replace(/\/+$/, '')}/api/v1/nearest?count=${options.count}`;
    try {
      const response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs), headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const parsed = NearestAnswerSchema.safeParse(await response.json());
      if (!parsed.success) throw new Error(`unexpected answer: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
      return { ok: true, server, answer: parsed.data, attempts };
    } catch (error) {
      const e = error as Error;
      attempts.push({ server, error: e.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : e.message });
    }
  }
  return { ok: false, attempts };
}
