import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadReply, LoadResult } from './load-job.js';

export interface LoadGenerator {
  /** Process id of the load generator (its CPU use tells whether it, not the server, is the limit). */
  pid: number;
  run(job: LoadJob): Promise<LoadResult>;
  close(): void;
}

/** Forks the load-generator process once; jobs run one after another. */
export function startLoadGenerator(): LoadGenerator {
  const child: ChildProcess = fork(fileURLToPath(new URL('./load-worker.js', import.meta.url)), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    pid: child.pid as number,
    run(job) {
      return new Promise((resolve, reject) => {
        const limit = setTimeout(() => reject(new Error('load generator did not answer in time')), (job.durationS + 30) * 1000);
        const onExit = (code: number | null) => {
          clearTimeout(limit);
          reject(new Error(`load generator exited (${code})`));
        };
        child.once('exit', onExit);
        child.once('message', (reply: LoadReply) => {
          clearTimeout(limit);
          child.off('exit', onExit);
          if (reply.ok) resolve(reply.result);
          else reject(new Error(`load generator: ${reply.error}`));
        });
        child.send(job);
      });
    },
    close() {
      if (child.connected) child.disconnect();
    },
  };
}
