import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Clock } from '../../shared/clock.js';
import type { Heartbeat } from '../../shared/heartbeat.js';
import type { Logger } from '../../shared/logger.js';
import { locationFor } from '../geo/cache-location.js';
import type { GeoIp } from '../geo/geoip.js';
import { toUnitVector } from '../geo/sphere.js';
import { cacheSource, type CacheEntry } from '../model/cache.js';
import type { Registry } from '../registry/types.js';
import { parseFeed, type FeedCache } from './feed-format.js';

/** Reads the feed's text from its source (a path or an http(s) URL); throws when it cannot. */
export type FeedReader = (source: string) => Promise<string>;

/** Largest feed read (WLCG's worker-proxies.json is a few hundred kB). */
export const MAX_FEED_BYTES = 16 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 15_000;

export const isFeedUrl = (source: string): boolean => /^https?:\/\//i.test(source);

/** A file from disk, a URL with one GET (redirects followed, 2xx only); either at most MAX_FEED_BYTES. */
export const readFeedSource: FeedReader = async (source) => {
  if (!isFeedUrl(source)) {
    if ((await stat(source)).size > MAX_FEED_BYTES) throw new Error(`larger than ${MAX_FEED_BYTES} bytes`);
    return readFile(source, 'utf8');
  }
  const response = await fetch(source, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  if (Number(response.headers.get('content-length') ?? 0) > MAX_FEED_BYTES) throw new Error(`larger than ${MAX_FEED_BYTES} bytes`);
  const text = await response.text();
  if (Buffer.byteLength(text) > MAX_FEED_BYTES) throw new Error(`larger than ${MAX_FEED_BYTES} bytes`);
  return text;
};

export interface FeedOptions {
  /** `--feed`: a path, or an http(s) URL. */
  source: string;
  /** `--feed-interval`: between GETs of a URL, and between checks of a file for a change. */
  intervalMs: number;
  /** `--cache-ttl`: listed caches are refreshed every third of it, so they never expire while listed. */
  ttlMs: number;
  /** `--max-caches`: entries beyond it are refused. */
  maxCaches: number;
}

export interface Feed {
  /** Read the feed now and list what it lists; false (and logged) when it could not be read or parsed: the last good list stays. */
  reload(): Promise<boolean>;
  /** Mark every cache of the last good list alive now (what the TTL/3 timer does). */
  refresh(): Promise<void>;
  /** Caches in the last good list; null before one was read. */
  listed(): number | null;
  /** First read, then the timers (and the file watch). */
  start(): Promise<void>;
  stop(): void;
}

/**
 * The operator feed: caches that run no agent, listed by a file or a URL (feed-format.ts has both forms).
 * Each becomes a registry entry as a heartbeat does (located by the same `locationFor`), under an id no
 * heartbeat may take (`feed:<host>:<port>`), refreshed every TTL/3 so it never expires while listed, and
 * removed when the feed stops listing it. A feed that cannot be read or parsed is logged, and the last
 * good list stays (and stays alive). A file is polled (`fs.watchFile`, as the GeoIP file), which survives
 * its replacement by a rename; a URL is read every interval, and applied only when its text changed.
 */
export function createFeed(deps: {
  options: FeedOptions;
  logger: Logger;
  registry: Registry;
  geoip: GeoIp & { loadedAt?: () => number };
  clock: Clock;
  read?: FeedReader;
}): Feed {
  const { options, registry, geoip, clock } = deps;
  const { source } = options;
  const read = deps.read ?? readFeedSource;
  const log = deps.logger.child({ component: 'feed' });
  let current: FeedCache[] | null = null;
  let lastText: string | null = null;
  const timers: NodeJS.Timeout[] = [];
  let watching = false;

  // Reads, refreshes and removals one at a time, so a refresh never re-lists what a read just removed.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = chain.then(task);
    chain = run.catch(() => undefined);
    return run;
  };

  /** The cache as a heartbeat stamped now; a WLCG member known by name only gets its site's GeoIP coordinates. */
  const heartbeatAt = (cache: FeedCache, now: number): Heartbeat => {
    const site = cache.locateAt ? geoip.lookup(cache.locateAt) : null;
    return site ? { ...cache.heartbeat, timestamp: now / 1000, latitude: site.latitude, longitude: site.longitude } : { ...cache.heartbeat, timestamp: now / 1000 };
  };

  /** Lists (or refreshes) every cache of `caches`, then removes the feed's caches it does not hold. */
  const apply = async (caches: readonly FeedCache[]) => {
    const now = clock.now();
    const ids = new Set<string>();
    for (const cache of caches) {
      ids.add(cache.id);
      const previous = registry.get(cache.id);
      const heartbeat = heartbeatAt(cache, now);
      const location = locationFor(heartbeat, previous, geoip);
      const entry: CacheEntry = {
        id: cache.id,
        heartbeat,
        location,
        unit: previous && previous.location === location ? previous.unit : location ? toUnitVector(location) : null,
        createdMs: previous?.createdMs ?? now,
        lastActiveMs: now,
        verification: previous?.verification ?? null,
        signedBy: null,
      };
      if ((await registry.put(entry)) === 'joined') {
        log.info({ id: entry.id, hostname: heartbeat.hostname, port: heartbeat.cachePort, city: location?.city ?? null, located: location?.source ?? 'unknown' }, 'cache joined (feed)');
      }
    }
    const gone = registry.snapshot().filter((e) => cacheSource(e) === 'feed' && !ids.has(e.id)).map((e) => e.id);
    for (const id of gone) {
      const removed = await registry.remove(id);
      if (removed) log.info({ id, hostname: removed.heartbeat.hostname }, 'cache left (no longer in the feed)');
    }
  };

  const keep = (detail: Record<string, unknown>, message: string) => {
    log.warn({ source, ...detail, kept: current?.length ?? 0 }, `${message}; keeping the last good list`);
    return false;
  };

  const reload = () =>
    serial(async () => {
      let text: string;
      try {
        text = await read(source);
      } catch (error) {
        return keep({ err: (error as Error).message }, 'feed could not be read');
      }
      if (text === lastText) return true;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        return keep({ err: (error as Error).message }, 'feed is not valid JSON');
      }
      const parsed = parseFeed(value, options.maxCaches);
      if (!parsed.ok) return keep({ reason: parsed.reason }, 'feed refused');
      for (const r of parsed.refused) log.warn({ source, entry: r.entry, member: r.member, reason: r.reason }, 'feed entry refused');
      current = parsed.caches;
      lastText = text;
      log.info({ source, format: parsed.format, caches: parsed.caches.length, refused: parsed.refused.length }, 'feed read');
      try {
        await apply(current);
      } catch (error) {
        // A registry failure (Redis away): the list is kept, and the next refresh writes it.
        log.error({ err: error }, 'could not store the feed’s caches');
      }
      return true;
    });

  const refresh = () =>
    serial(async () => {
      if (!current) return;
      try {
        await apply(current);
      } catch (error) {
        log.error({ err: error }, 'could not refresh the feed’s caches');
      }
    });

  const onChange = (now: Stats, before: Stats) => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
    if (now.nlink === 0 && now.size === 0) return; // removed: keep the list until a new file appears
    void reload();
  };

  return {
    reload,
    refresh,
    listed: () => current?.length ?? null,
    async start() {
      await reload();
      if (isFeedUrl(source)) {
        timers.push(setInterval(() => void reload(), options.intervalMs));
      } else {
        watchFile(source, { interval: options.intervalMs, persistent: false }, onChange);
        watching = true;
      }
      timers.push(setInterval(() => void refresh(), Math.max(250, Math.floor(options.ttlMs / 3))));
      for (const timer of timers) timer.unref();
    },
    stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      if (watching) unwatchFile(source, onChange);
      watching = false;
    },
  };
}
