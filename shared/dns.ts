import { lookup } from 'node:dns/promises';
import { parseIpLiteral, type IpLiteral } from './identity.js';

/**
 * `work`'s value, or `fallback` when it fails or has not settled within `ms`. For name lookups: the
 * system resolver retries a dead DNS server for tens of seconds, and neither the agent choosing its name
 * nor the server's verifier should wait that long. The timer does not keep the process alive.
 */
export function withTimeout<T, F>(work: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    timer.unref();
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      () => (clearTimeout(timer), resolve(fallback)),
    );
  });
}

/**
 * Every address a name resolves to through the system resolver, as a cache's clients resolve it (hosts
 * file, then DNS): each once, in the resolver's order; none when it does not resolve.
 */
export async function resolveAddresses(name: string): Promise<IpLiteral[]> {
  try {
    const found = await lookup(name, { all: true, verbatim: true });
    return [...new Set(found.map((a) => parseIpLiteral(a.address)).filter((a) => a !== null))];
  } catch {
    return [];
  }
}
