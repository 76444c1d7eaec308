import { pino, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Most log text a daemon holds while its output cannot take more; past this, lines are dropped and counted. */
export const MAX_BUFFERED_LOG_BYTES = 8 * 1024 * 1024;

/**
 * One structured JSON logger per process; components take child loggers (`logger.child({ component })`).
 * `fd` 2 keeps stdout free for a CLI's own output.
 *
 * `buffered` is for daemons (server, agent). A synchronous write to a pipe or socket that is full (journald
 * or a log shipper falling behind, a burst of 10,000 "cache joined" lines after a restart) makes pino's
 * writer sleep 100 ms per retry with the event loop blocked: no lookups, no heartbeats. Buffered, lines
 * wait in memory and are written as the output takes them; what is buffered is written when the process
 * exits (pino flushes on exit). A short-lived CLI keeps synchronous writes, in order with its own output.
 */
export function createLogger(options: { name: string; level: LogLevel; fd?: 1 | 2; buffered?: boolean }): Logger {
  const fd = options.fd ?? 1;
  if (!options.buffered) return pino({ name: options.name, level: options.level }, pino.destination({ fd, sync: true }));
  const destination = pino.destination({ fd, sync: false, maxLength: MAX_BUFFERED_LOG_BYTES });
  const logger = pino({ name: options.name, level: options.level }, destination);
  let dropped = 0;
  destination.on('drop', () => {
    dropped += 1;
  });
  // 'drain': everything buffered is written; say what could not be kept, once the output takes lines again.
  destination.on('drain', () => {
    if (dropped === 0) return;
    const count = dropped;
    dropped = 0;
    logger.warn({ dropped: count, bufferLimitBytes: MAX_BUFFERED_LOG_BYTES }, 'log lines dropped: the log output did not keep up');
  });
  return logger;
}

/** A logger that drops everything: for tests that do not look at logs. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
