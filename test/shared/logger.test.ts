import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_BUFFERED_LOG_BYTES } from '../../shared/logger.js';

const LOGGER = fileURLToPath(new URL('../../dist/shared/logger.js', import.meta.url));

/**
 * A child process logs `lines` lines of about 1 KB with a buffered (daemon) logger on its stdout, which
 * this test does not read until the child says it is done: far more than a pipe holds. Then the child
 * waits to be told to exit, so the logger can drain while it still runs.
 */
function logWhileNobodyReads(lines: number) {
  const code = `
    import { createLogger } from ${JSON.stringify(LOGGER)};
    const logger = createLogger({ name: 'test', level: 'info', buffered: true });
    const pad = 'x'.repeat(1000);
    for (let i = 0; i < ${lines}; i++) logger.info({ i, pad }, 'line');
    process.send('done');
    process.on('message', () => process.exit(0));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const stdout = child.stdout;
  if (!stdout) throw new Error('no stdout pipe');
  stdout.pause();
  let out = '';
  const done = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before it finished logging`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const readAll = () => {
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    stdout.resume();
  };
  const records = () =>
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; i?: number; dropped?: number });
  return { child, done, exited, readAll, records, output: () => out };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('buffered logger (server, agent)', () => {
  it('never blocks on a full output: logging finishes while nobody reads, and every line comes out in order', async () => {
    const run = logWhileNobodyReads(2000); // ~2 MB, 30 times what a pipe holds
    // A synchronous logger would wait on the pipe here and never say done.
    await run.done;
    run.readAll();
    await until(() => run.records().length >= 2000, '2000 lines');
    run.child.send('exit');
    await run.exited;
    const lines = run.records();
    expect(lines.map((r) => r.i)).toEqual([...Array(2000).keys()]);
  });

  it('drops what does not fit in its buffer, keeps the first lines, and says how many it dropped', async () => {
    const total = Math.ceil((MAX_BUFFERED_LOG_BYTES * 1.5) / 1100);
    const run = logWhileNobodyReads(total);
    await run.done;
    run.readAll();
    await until(() => run.records().some((r) => r.msg.startsWith('log lines dropped')), 'the dropped-lines warning', 30_000);
    run.child.send('exit');
    await run.exited;
    const records = run.records();
    const kept = records.filter((r) => r.msg === 'line');
    const warning = records.find((r) => r.msg.startsWith('log lines dropped'));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(total);
    expect(kept.map((r) => r.i)).toEqual([...Array(kept.length).keys()]);
    expect(warning?.dropped).toBe(total - kept.length);
  });
});
