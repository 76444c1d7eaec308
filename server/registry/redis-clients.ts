import { Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './redis-url.js';
import { CLAIM_SEQ_SCRIPT, PRUNE_SCRIPT, PUT_SCRIPT, REMOVE_SCRIPT, VERIFY_SCRIPT } from './redis-scripts.js';

export type ScriptRunner = (...args: (string | number)[]) => Promise<unknown>;

export interface RedisClients {
  /** Reads and the write scripts. Fails at once while Redis is away (no offline queue). */
  commands: Redis;
  /** Subscriber only. */
  events: Redis;
  scripts: Record<'put' | 'remove' | 'verify' | 'prune' | 'claimSeq', ScriptRunner>;
}

/**
 * The registry's two connections (a subscriber cannot run other commands), named for CLIENT LIST. With a
 * `redis+sentinel://` URL (redis-url.ts) each asks the Sentinels for the master on every (re)connect and
 * checks that the server it reached is the master (a demoted one is left), so after a failover both move to
 * the promoted replica by themselves; the registry replays what it could not write meanwhile.
 */
export function createRedisClients(url: string, clientName: string): RedisClients {
  const target = parseRedisUrl(url);
  if ('error' in target) throw new Error(`--redis-url ${target.error}`);
  const common = (role: string, enableOfflineQueue: boolean): RedisOptions => ({
    connectionName: `${clientName}:${role}`,
    enableOfflineQueue,
    // A command cut by a lost connection fails instead of being retried later: the registry keeps the
    // write itself and replays it, so nothing waits on Redis for long.
    maxRetriesPerRequest: 0,
    commandTimeout: 5000,
    connectTimeout: 5000,
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  });
  const connection = (role: string, enableOfflineQueue: boolean) => {
    if (target.kind === 'server') return new Redis(target.url, common(role, enableOfflineQueue));
    return new Redis({
      ...common(role, enableOfflineQueue),
      sentinels: target.sentinels,
      name: target.name,
      db: target.db,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      sentinelCommandTimeout: 2000,
      // A write refused by a demoted master (READONLY, after a failover that kept it alive): ask again.
      reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
      // Leave the old master as soon as the Sentinels announce +switch-master, not at the next failed command.
      failoverDetector: true,
    });
  };
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
