import { Redis } from 'ioredis';
import { CLAIM_SEQ_SCRIPT, PRUNE_SCRIPT, PUT_SCRIPT, REMOVE_SCRIPT, VERIFY_SCRIPT } from './redis-scripts.js';

export type ScriptRunner = (...args: (string | number)[]) => Promise<unknown>;

export interface RedisClients {
  /** Reads and the write scripts. Fails at once while Redis is away (no offline queue). */
  commands: Redis;
  /** Subscriber only. */
  events: Redis;
  scripts: Record<'put' | 'remove' | 'verify' | 'prune' | 'claimSeq', ScriptRunner>;
}

/** The registry's two connections (a subscriber cannot run other commands), named for CLIENT LIST. */
export function createRedisClients(url: string, clientName: string): RedisClients {
  const connection = (role: string, enableOfflineQueue: boolean) =>
    new Redis(url, {
      connectionName: `${clientName}:${role}`,
      enableOfflineQueue,
      // A command cut by a lost connection fails instead of being retried later: the registry keeps the
      // write itself and replays it, so nothing waits on Redis for long.
      maxRetriesPerRequest: 0,
      commandTimeout: 5000,
      connectTimeout: 5000,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    });
  const commands = connection('commands', false);
  // The subscriber queues SUBSCRIBE until connected; ioredis resubscribes by itself after a reconnect.
  const events = connection('events', true);

  const define = (name: string, lua: string, numberOfKeys?: number): ScriptRunner => {
    // Without numberOfKeys the key count is the first argument of each call (PRUNE takes any number).
    commands.defineCommand(name, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua });
    const method = (commands as unknown as Record<string, ScriptRunner>)[name] as ScriptRunner;
    return (...args) => method.apply(commands, args);
  };
  return {
    commands,
    events,
    scripts: {
      put: define('shoalRegistryPut', PUT_SCRIPT, 2),
      remove: define('shoalRegistryRemove', REMOVE_SCRIPT, 2),
      verify: define('shoalRegistryVerify', VERIFY_SCRIPT, 1),
      prune: define('shoalRegistryPrune', PRUNE_SCRIPT),
      claimSeq: define('shoalReplayClaimSeq', CLAIM_SEQ_SCRIPT, 1),
    },
  };
}
