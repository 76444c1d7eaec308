import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { splitAmqpUrls } from './amqp-urls.js';
import { createBackoff } from './backoff.js';
import { redactUrl } from './config.js';
import type { Logger } from './logger.js';

/** Exchange as the original server declares it: a site migrating already has it, and other flags would fail. */
export const EXCHANGE_OPTIONS = Object.freeze({ durable: false, autoDelete: false });
export const HEARTBEAT_ROUTING_KEY = 'info';

export type AmqpState = 'connecting' | 'connected' | 'closed';

export interface AmqpLink {
  /** The live channel, or null while (re)connecting. */
  channel(): Channel | null;
  state(): AmqpState;
  /** The URL (password hidden) of the broker connected to, or of the one being tried. */
  broker(): string;
  /** Resolves once connected (or rejects after `timeoutMs`). */
  waitConnected(timeoutMs: number): Promise<void>;
  /** Close channel then connection; no reconnect afterwards. */
  close(): Promise<void>;
}

export interface AmqpLinkOptions {
  /** One broker URL, or several separated by commas, tried in turn (shared/amqp-urls.ts). */
  url: string;
  logger: Logger;
  /** Declares what the program needs on each new channel (exchange, queue, consumer). */
  setup: (channel: Channel) => Promise<void>;
  /** Open a confirm channel (publishers that must know the broker took a message). */
  confirm?: boolean;
  /** Extra socket options (TLS certificates). */
  socketOptions?: Record<string, unknown>;
  backoff?: { initialMs?: number; maxMs?: number };
  onStateChange?: (state: AmqpState) => void;
}

/** A broker that accepts TCP but never answers (a black hole, a hung node) is given up on after this. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A connection that comes back by itself: on any close or error it reconnects with back-off and runs
 * `setup` again. Never throws to the caller for a broker being away.
 *
 * Several URLs are tried in turn: a failed attempt moves on to the next URL at once, and the back-off
 * delay comes only after every URL has failed once in a row; a connection that is lost reconnects with
 * the next URL after it first (the broker that dropped it is likely going down), wrapping around.
 * One URL behaves as before: each failure backs off.
 */
export function createAmqpLink(options: AmqpLinkOptions): AmqpLink {
  const log = options.logger;
  const backoff = createBackoff(options.backoff);
  const urls = splitAmqpUrls(options.url);
  if (urls.length === 0) throw new Error('createAmqpLink: no broker URL');
  let current = 0;
  /** Attempts that failed since the last connection (or the last loss); a full round backs off. */
  let failedInRow = 0;
  const brokerName = () => String(redactUrl(urls[current]));
  const advance = () => {
    current = (current + 1) % urls.length;
  };
  let model: ChannelModel | null = null;
  let channel: Channel | null = null;
  let state: AmqpState = 'connecting';
  let stopped = false;
  let retryTimer: NodeJS.Timeout | null = null;
  const waiters = new Set<() => void>();

  const setState = (next: AmqpState) => {
    if (state === next) return;
    state = next;
    options.onStateChange?.(next);
    if (next === 'connected') for (const w of waiters) w();
  };

  const scheduleRetry = (reason: string) => {
    channel = null;
    model = null;
    if (stopped) return;
    setState('connecting');
    const lostFrom = brokerName();
    failedInRow = 0;
    advance();
    const delay = backoff.next();
    log.warn({ reason, broker: lostFrom, next: brokerName(), retryInMs: delay }, 'AMQP connection lost; reconnecting');
    retryTimer = setTimeout(() => void connect(), delay);
  };

  const connect = async () => {
    retryTimer = null;
    if (stopped) return;
    let conn: ChannelModel | null = null;
    try {
      // A fresh options object per attempt: amqplib writes the host and TLS servername into it.
      conn = await amqp.connect(urls[current] as string, {
        timeout: CONNECT_TIMEOUT_MS,
        ...options.socketOptions,
        clientProperties: { connection_name: 'shoal' },
      });
      let lost = false;
      const onLost = (why: string) => {
        // Before setup finished, a close is this attempt failing: the catch below retries, once.
        if (lost || model !== conn) return;
        lost = true;
        scheduleRetry(why);
      };
      conn.on('error', (err: Error) => log.warn({ err: err.message }, 'AMQP connection error'));
      conn.on('close', () => onLost('connection closed'));
      const ch = options.confirm ? await conn.createConfirmChannel() : await conn.createChannel();
      ch.on('error', (err: Error) => log.warn({ err: err.message }, 'AMQP channel error'));
      ch.on('close', () => {
        // A channel closed by the broker (e.g. a failed declare) while the connection lives: start over.
        if (!stopped && !lost) void conn?.close().catch(() => undefined);
      });
      await options.setup(ch);
      if (stopped) {
        await conn.close().catch(() => undefined);
        return;
      }
      model = conn;
      channel = ch;
      backoff.reset();
      failedInRow = 0;
      setState('connected');
      log.info(urls.length > 1 ? { broker: brokerName() } : {}, 'AMQP connected');
    } catch (error) {
      if (conn) await conn.close().catch(() => undefined);
      if (stopped) return;
      if (model === null) {
        channel = null;
        setState('connecting');
        const failed = brokerName();
        failedInRow++;
        advance();
        const delay = failedInRow % urls.length === 0 ? backoff.next() : 0;
        log.warn({ err: (error as Error).message, ...(urls.length > 1 ? { broker: failed, next: brokerName() } : {}), retryInMs: delay }, 'AMQP connect failed; retrying');
        retryTimer = setTimeout(() => void connect(), delay);
      }
    }
  };

  void connect();

  return {
    channel: () => channel,
    state: () => state,
    broker: brokerName,
    waitConnected(timeoutMs) {
      if (state === 'connected') return Promise.resolve();
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(new Error(`AMQP not connected after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(done);
      });
    },
    async close() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      const ch = channel;
      const conn = model;
      channel = null;
      model = null;
      setState('closed');
      if (ch) await ch.close().catch(() => undefined);
      if (conn) await conn.close().catch(() => undefined);
    },
  };
}
