import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isValidCidr } from './networks.js';

/**
 * The operator's coverage file: which networks each site serves, for caches whose agents declare no
 * `site`/`networks` (original agents never do). JSON: `{ "site-name": ["10.1.0.0/16", "142.104.0.0/16"] }`.
 */
export const CoverageSchema = z.record(
  z.string().trim().min(1).max(128).regex(/^[^\s,"]+$/, 'site names may not contain spaces, commas or quotes'),
  z.array(z.string().trim().refine(isValidCidr, { error: 'must be a CIDR such as 10.0.0.0/8' })).max(10_000),
);

export type Coverage = Readonly<Record<string, readonly string[]>>;

/** Reads and validates a coverage file; an empty path means no coverage. Throws naming the bad entry. */
export function loadCoverage(path: string): Coverage {
  if (path === '') return {};
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`coverage file ${path}: ${(error as Error).message}`);
  }
  const parsed = CoverageSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`coverage file ${path}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
  }
  return Object.freeze(parsed.data);
}
