import type { Logger } from './logger.js';

/** The signals a program stops on: SIGTERM from a service manager, SIGINT from Ctrl-C. */
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

/** How long a program may take to stop before it exits anyway. */
export const SHUTDOWN_LIMIT_MS = 10_000;

/** The parts of `process` shutdown uses; a test hands in its own. */
export interface ShutdownProcess {
  on(event: ShutdownSignal, listener: () => void): unknown;
  exit(code: number): void;
}

export interface ShutdownOptions {
  /**
   * Stop taking work, finish what is in flight, close connections. Resolving exits 0; throwing exits 1.
   * Called once, however many signals arrive.
   */
  stop(signal: ShutdownSignal): Promise<void>;
  logger: Logger;
  /** Past this the process exits with code 1 whether or not `stop` has finished. */
  limitMs?: number;
  process?: ShutdownProcess;
}

export interface Shutdown {
  /** True once a signal has arrived: work not yet started should not start. */
  readonly stopping: boolean;
}

/**
 * What each `main` does on SIGTERM or SIGINT: run `stop` once, within a hard time limit, then exit with
 * a code saying how it went (0 stopped, 1 failed or took too long), logging each step. Only mains call
 * this; components stop when asked and never exit the process.
 */
export function handleShutdown(options: ShutdownOptions): Shutdown {
  const { logger } = options;
  const limitMs = options.limitMs ?? SHUTDOWN_LIMIT_MS;
  const proc = options.process ?? process;
  let stopping = false;

  async function shutdown(signal: ShutdownSignal): Promise<void> {
    if (stopping) {
      logger.info({ signal, limitMs }, 'already shutting down');
      return;
    }
    stopping = true;
    const started = Date.now();
    logger.info({ signal, limitMs }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ signal, limitMs }, 'shutdown took too long; exiting');
      proc.exit(1);
    }, limitMs);
    deadline.unref();
    try {
      await options.stop(signal);
    } catch (error) {
      clearTimeout(deadline);
      logger.error({ signal, err: (error as Error).message }, 'shutdown failed; exiting');
      proc.exit(1);
      return;
    }
    clearTimeout(deadline);
    logger.info({ signal, ms: Date.now() - started }, 'stopped');
    proc.exit(0);
  }

  for (const signal of SHUTDOWN_SIGNALS) proc.on(signal, () => void shutdown(signal));
  return {
    get stopping() {
      return stopping;
    },
  };
}
