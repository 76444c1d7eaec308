import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { handleShutdown, SHUTDOWN_LIMIT_MS, type ShutdownSignal } from '../../shared/shutdown.js';

/** A process stand-in: signals are emitted by the test, exits recorded; log lines kept as objects. */
function fakeProcess() {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const proc = { on: (event: ShutdownSignal, listener: () => void) => signals.on(event, listener), exit: (code: number) => void exits.push(code) };
  return { signals, exits, lines, logger, proc, messages: () => lines.map((l) => l.msg) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('handleShutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('on %s runs stop once, logs it and exits 0', async (signal) => {
    const p = fakeProcess();
    const stop = vi.fn(async () => undefined);
    const shutdown = handleShutdown({ logger: p.logger, stop, process: p.proc });
    expect(shutdown.stopping).toBe(false);
    p.signals.emit(signal);
    expect(shutdown.stopping).toBe(true);
    await vi.waitFor(() => expect(p.exits).toEqual([0]));
    expect(stop).toHaveBeenCalledWith(signal);
    expect(p.messages()).toEqual(['shutting down', 'stopped']);
    expect(p.lines[0]).toMatchObject({ signal, limitMs: SHUTDOWN_LIMIT_MS });
  });

  it('ignores a second signal while stopping, saying so', async () => {
    const p = fakeProcess();
    let finish = () => {};
    const stop = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    handleShutdown({ logger: p.logger, stop, process: p.proc });
    p.signals.emit('SIGTERM');
    p.signals.emit('SIGINT');
    expect(stop).toHaveBeenCalledTimes(1);
    expect(p.messages()).toEqual(['shutting down', 'already shutting down']);
    finish();
    await vi.waitFor(() => expect(p.exits).toEqual([0]));
  });

  it('exits 1 when stop fails, with the error in the log', async () => {
    const p = fakeProcess();
    handleShutdown({ logger: p.logger, stop: () => Promise.reject(new Error('broker gone')), process: p.proc });
    p.signals.emit('SIGTERM');
    await vi.waitFor(() => expect(p.exits).toEqual([1]));
    expect(p.lines.at(-1)).toMatchObject({ msg: 'shutdown failed; exiting', err: 'broker gone', signal: 'SIGTERM' });
  });

  it('exits 1 at the hard limit when stop has not finished', async () => {
    vi.useFakeTimers();
    const p = fakeProcess();
    handleShutdown({ logger: p.logger, stop: () => new Promise<void>(() => {}), process: p.proc, limitMs: 500 });
    p.signals.emit('SIGINT');
    await vi.advanceTimersByTimeAsync(499);
    expect(p.exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.exits).toEqual([1]);
    expect(p.lines.at(-1)).toMatchObject({ msg: 'shutdown took too long; exiting', limitMs: 500, level: 50 });
  });

  it('does not fire the limit after a clean stop', async () => {
    vi.useFakeTimers();
    const p = fakeProcess();
    handleShutdown({ logger: p.logger, stop: async () => undefined, process: p.proc, limitMs: 500 });
    p.signals.emit('SIGTERM');
    await vi.advanceTimersByTimeAsync(1000);
    expect(p.exits).toEqual([0]);
  });
});
