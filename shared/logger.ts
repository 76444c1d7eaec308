import { pino, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * One structured JSON logger per process; components take child loggers (`logger.child({ component })`).
 * `fd` 2 keeps stdout free for a CLI's own output.
 */
export function createLogger(options: { name: string; level: LogLevel; fd?: 1 | 2 }): Logger {
  return pino({ name: options.name, level: options.level }, pino.destination({ fd: options.fd ?? 1, sync: true }));
}

/** A logger that drops everything: for tests that do not look at logs. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
