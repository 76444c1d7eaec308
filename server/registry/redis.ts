import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { createMemoryRegistry } from './memory.js';
import { decodeEntry, encodeData, encodeVerification, parseHashFields, parseRegistryEvent, type RegistryEvent, type StoredEntry } from './redis-codec.js';
import { createRedisClients } from './redis-clients.js';
import type { Registry, RegistryHealth } from './types.js';
import type { CacheEntry } from '../model/cache.js';

export interface RedisRegistryOptions {
  url: string;
  /** Prefix of every key and of the channel, so several deployments (or tests) share one Redis. */
  prefix: string;
  ttlMs: number;
  /** Full reload of the local view from Redis, the safety net under pub/sub. */
  resyncMs: number;
  /** Redis client name (CLIENT LIST), suffixed `:commands` / `:events`. */
  clientName: string;
}

export interface RedisRegistry extends Registry {
  health(): RegistryHealth;
  /** Resolves true once the view has been loaded from Redis, false after `timeoutMs`. */
  waitLoaded(timeoutMs: number): Promise<boolean>;
}

/** A write Redis did not take (it was away); replayed when it returns, refused by Redis if stale by then. */
type PendingWrite = { op: 'put'; entry: CacheEntry } | { op: 'remove'; atMs: number; sentMs: number | undefined };

const PutReplySchema = z.tuple([z.enum(['joined', 'updated', 'stale']), z.string(), z.string()]);
const FieldsReplySchema = z.array(z.string().nullable());
const ClaimReplySchema = z.tuple([z.union([z.literal(0), z.literal(1)]), z.string()]);

/**
 * The shared registry of several server replicas. Redis holds the truth: one hash per cache with a key TTL,
 * so a cache disappears from Redis, for every replica, when its heartbeats stop.
 *
 * Lookups never wait on Redis: each replica serves from a local view (an in-memory registry on the same
 * clock and TTL, so an entry leaves the view at the same moment its key expires, up to clock skew).
 * The view is kept current by **pub/sub on writes**: every write is a Lua script that also publishes the
 * new entry on `<prefix>events`, so replicas apply it without a further read. Pub/sub is fire-and-forget
 * (a replica that is disconnected misses messages), so a **full resync** every `resyncMs`, and at once on
 * every reconnect, reloads the view from Redis. Keyspace notifications were not chosen: they need
 * `CONFIG SET notify-keyspace-events` on the whole server (refused by many managed Redis services, and felt
 * by every other user of the instance), they would cost a read per change, and expiry needs no message
 * here because the view expires entries itself. Polling alone would delay every change by its interval.
 *
 * Redis unreachable: the replica keeps its view, applies the writes it consumes to it and keeps them
 * to replay when Redis returns (before the resync); `health()` says `degraded` meanwhile.
 */
export function createRedisRegistry(options: RedisRegistryOptions, deps: { clock: Clock; logger: Logger }): RedisRegistry {
  const { prefix, ttlMs } = options;
  const { clock } = deps;
  const log = deps.logger.child({ component: 'registry', backend: 'redis' });
  const idsKey = `${prefix}ids`;
  const channel = `${prefix}events`;
  const entryKey = (id: string) => `${prefix}cache:${id}`;
  const seqKey = (agent: string) => `${prefix}seq:${agent}`;
  const newView = () => createMemoryRegistry({ ttlMs, clock });

  const { commands, events, scripts } = createRedisClients(options.url, options.clientName);

  let view = newView();
  let loaded = false;
  let problem: string | undefined = 'connecting to Redis';
  let recording: RegistryEvent[] | null = null;
  let resyncing: Promise<void> | null = null;
  let resyncAgain = false;
  let closed = false;
  const pending = new Map<string, PendingWrite>();
  const loadWaiters = new Set<() => void>();

  const setProblem = (reason: string | undefined) => {
    if (reason && !problem) log.warn({ reason, pending: pending.size }, 'Redis unreachable; answering from the last view');
    if (!reason && problem && loaded) log.info('Redis reachable; view in step again');
    problem = reason;
  };

  // The view's own entry of the cache lends its location object when the stored one is the same (decodeEntry).
  const toEntry = (id: string, stored: StoredEntry): CacheEntry | undefined => {
    const decoded = decodeEntry(id, stored, view.get(id));
    if ('error' in decoded) {
      log.warn({ id, reason: decoded.error }, 'ignoring an entry in Redis that does not parse');
      return undefined;
    }
    return decoded.entry;
  };

  const applyEvent = async (target: Registry, event: RegistryEvent) => {
    if (event.op === 'remove') {
      await target.remove(event.id);
      return;
    }
    const entry = toEntry(event.id, event);
    if (entry) await target.put(entry);
  };

  events.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    const event = parseRegistryEvent(text);
    if ('error' in event) {
      log.warn({ reason: event.error }, 'ignoring a registry event that does not parse');
      return;
    }
    recording?.push(event);
    void applyEvent(view, event);
  });

  /** Writes Redis refused while away, oldest first; stops at the first failure. */
  const flushPending = async () => {
    for (const [id, write] of [...pending]) {
      if (write.op === 'put') {
        const remaining = write.entry.lastActiveMs + ttlMs - clock.now();
        if (remaining > 0) await runPut(write.entry, remaining);
      } else {
        await runRemove(id, write.atMs, write.sentMs);
      }
      if (pending.get(id) === write) pending.delete(id);
    }
  };

  /** Reloads the whole view from Redis; events that arrive meanwhile are applied again on top. */
  const reload = async () => {
    await flushPending();
    recording = [];
    try {
      const ids = await commands.smembers(idsKey);
      const pipeline = commands.pipeline();
      for (const id of ids) pipeline.hmget(entryKey(id), 'data', 'active', 'created', 'verification');
      const replies = ids.length > 0 ? ((await pipeline.exec()) ?? []) : [];
      const next = newView();
      const gone: string[] = [];
      for (const [i, id] of ids.entries()) {
        const [error, value] = replies[i] ?? [new Error('no reply'), null];
        if (error) throw error;
        const raw = FieldsReplySchema.parse(value);
        const current = view.get(id);
        if (current && unchanged(current, raw)) {
          // Most entries have not changed since the last reload: keep them without decoding again.
          await next.put(current);
          continue;
        }
        const fields = parseHashFields(raw);
        if (fields === null) gone.push(id);
        else if ('error' in fields) log.warn({ id, reason: fields.error }, 'ignoring an entry in Redis that does not parse');
        else {
          const entry = toEntry(id, fields);
          if (entry) await next.put(entry);
        }
      }
      for (const event of recording) await applyEvent(next, event);
      view = next;
      if (gone.length > 0) await scripts.prune(gone.length + 1, idsKey, ...gone.map(entryKey), ...gone);
    } finally {
      recording = null;
    }
    if (!loaded) {
      loaded = true;
      log.info({ caches: view.snapshot().length }, 'view loaded from Redis');
      for (const w of loadWaiters) w();
    }
  };

  const unchanged = (e: CacheEntry, raw: readonly (string | null)[]) =>
    raw[1] === String(e.lastActiveMs) && raw[2] === String(e.createdMs) && (raw[3] ?? '') === encodeVerification(e.verification);

  /** One reload at a time; a request during a reload runs another one after it. */
  const resync = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (resyncing) {
      resyncAgain = true;
      return resyncing;
    }
    resyncing = (async () => {
      do {
        resyncAgain = false;
        try {
          await reload();
          setProblem(commands.status === 'ready' && events.status === 'ready' ? undefined : 'Redis connection not ready');
        } catch (error) {
          setProblem((error as Error).message);
        }
      } while (resyncAgain && !closed);
      resyncing = null;
    })();
    return resyncing;
  };

  for (const [role, conn] of [
    ['commands', commands],
    ['events', events],
  ] as const) {
    conn.on('error', (err: Error) => log.debug({ role, err: err.message }, 'Redis connection error'));
    conn.on('close', () => {
      if (!closed) setProblem(`Redis ${role} connection lost`);
    });
  }
  commands.on('ready', () => void resync());
  // ioredis emits 'ready' before it resubscribes; a PING queued behind the SUBSCRIBE answers once the
  // subscription holds, and only then can a reload be sure to miss no event.
  events.on('ready', () => setImmediate(() => void events.ping().then(() => resync(), () => undefined)));
  void events.subscribe(channel).catch((error: Error) => log.warn({ err: error.message }, 'cannot subscribe to registry events'));
  const timer = setInterval(() => void resync(), options.resyncMs);
  timer.unref();

  const runPut = async (entry: CacheEntry, remainingMs: number) => {
    const reply = PutReplySchema.parse(
      await scripts.put(
        entryKey(entry.id),
        idsKey,
        entry.id,
        encodeData(entry),
        entry.lastActiveMs,
        entry.createdMs,
        encodeVerification(entry.verification),
        Math.max(1, Math.ceil(remainingMs)),
        channel,
        // Its agent's clock: what a goodbye's mark is compared with (REMOVE_SCRIPT).
        entry.heartbeat.timestamp * 1000,
      ),
    );
    const [event, created, verification] = reply;
    if (event === 'stale') return 'updated' as const;
    // Apply at once (read-your-writes); the announcement applies the same again, harmlessly.
    const stored = parseHashFields([encodeData(entry), String(entry.lastActiveMs), created, verification]);
    const applied = stored && !('error' in stored) ? toEntry(entry.id, stored) : undefined;
    await view.put(applied ?? entry);
    return event;
  };

  // The mark a removal leaves stays as long as a cache's entry would: a heartbeat older than that is refused anyway.
  const runRemove = (id: string, atMs: number, sentMs: number | undefined) => scripts.remove(entryKey(id), idsKey, id, atMs, channel, sentMs ?? '', Math.max(1, Math.ceil(ttlMs)));

  return {
    async put(entry) {
      pending.delete(entry.id);
      try {
        return await runPut(entry, entry.lastActiveMs + ttlMs - clock.now());
      } catch (error) {
        setProblem((error as Error).message);
        pending.set(entry.id, { op: 'put', entry });
        return view.put(entry);
      }
    },
    async remove(id, goodbye) {
      const local = view.get(id);
      pending.delete(id);
      const atMs = clock.now();
      try {
        const reply = z.union([z.literal(0), FieldsReplySchema]).nullable().parse(await runRemove(id, atMs, goodbye?.sentMs));
        // 0: a heartbeat newer than this removal is stored (it came back meanwhile); the view keeps it.
        if (reply === 0) return undefined;
        await view.remove(id);
        const fields = reply ? parseHashFields(reply) : null;
        return fields && !('error' in fields) ? toEntry(id, fields) : local;
      } catch (error) {
        setProblem((error as Error).message);
        pending.set(id, { op: 'remove', atMs, sentMs: goodbye?.sentMs });
        return view.remove(id);
      }
    },
    async setVerification(id, state) {
      try {
        await scripts.verify(entryKey(id), id, encodeVerification(state), channel);
      } catch (error) {
        setProblem((error as Error).message);
        const write = pending.get(id);
        if (write?.op === 'put') write.entry = { ...write.entry, verification: state };
      }
      await view.setVerification(id, state);
    },
    async claimSeq(agent, seq, timestampMs, ttlMs) {
      // No fallback while Redis is away: the caller refuses the message (a replica alone cannot tell a replay).
      try {
        const [taken, last] = ClaimReplySchema.parse(await scripts.claimSeq(seqKey(agent), String(seq), String(timestampMs), Math.max(1, Math.ceil(ttlMs))));
        return taken === 1 ? { ok: true } : { ok: false, lastSeq: Number(last) };
      } catch (error) {
        setProblem((error as Error).message);
        throw error;
      }
    },
    get: (id) => view.get(id),
    snapshot: () => view.snapshot(),
    // Views of a replaced view registry (a full reload) are not its own: null, and a rebuild.
    changedSlots: (older, newer) => view.changedSlots?.(older, newer) ?? null,
    size: () => view.size(),
    sweep: () => view.sweep(),
    health() {
      if (!loaded) return { status: 'loading', backend: 'redis', reason: problem ?? 'loading the view from Redis' };
      if (problem) return { status: 'degraded', backend: 'redis', reason: problem };
      return { status: 'ok', backend: 'redis' };
    },
    waitLoaded(timeoutMs) {
      if (loaded) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (value: boolean) => {
          clearTimeout(timeout);
          loadWaiters.delete(onLoad);
          resolve(value);
        };
        const onLoad = () => done(true);
        const timeout = setTimeout(() => done(false), timeoutMs);
        loadWaiters.add(onLoad);
      });
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await resyncing;
      // quit() waits for a reply that never comes while Redis is away; disconnect() does not.
      for (const conn of [events, commands]) {
        if (conn.status === 'ready') await conn.quit().catch(() => conn.disconnect());
        else conn.disconnect();
      }
    },
  };
}
