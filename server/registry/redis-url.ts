/**
 * Where the registry's Redis is: `redis://` / `rediss://` (one server, as ioredis reads it), or
 * `redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/<master-name>[/<db>]`: the Sentinels of a
 * highly available Redis and the name of the master they watch. The clients ask a Sentinel which server is
 * the master and ask again after every lost connection, so a failover moves them to the promoted replica.
 * The user and password are the data servers' (master and replicas); the Sentinels are asked without one.
 * No ioredis here: the config reads this, and memory mode never loads ioredis.
 */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | {
      kind: 'sentinel';
      sentinels: { host: string; port: number }[];
      /** The master group name, as in `sentinel monitor <name> ...`. */
      name: string;
      db: number;
      username?: string;
      password?: string;
    };

export const SENTINEL_SCHEME = 'redis+sentinel://';
const DEFAULT_SENTINEL_PORT = 26379;

/** The target a `--redis-url` names, or what is wrong with it (never echoing the password). */
export function parseRedisUrl(text: string): RedisTarget | { error: string } {
  if (/^rediss?:\/\//.test(text)) return { kind: 'server', url: text };
  if (!text.startsWith(SENTINEL_SCHEME)) return { error: `must start with redis://, rediss:// or ${SENTINEL_SCHEME}` };
  const rest = text.slice(SENTINEL_SCHEME.length);
  const at = rest.lastIndexOf('@', rest.indexOf('/') === -1 ? rest.length : rest.indexOf('/'));
  const auth = at === -1 ? '' : rest.slice(0, at);
  const afterAuth = at === -1 ? rest : rest.slice(at + 1);
  const slash = afterAuth.indexOf('/');
  const hostList = slash === -1 ? afterAuth : afterAuth.slice(0, slash);
  const path = slash === -1 ? '' : afterAuth.slice(slash + 1);
  const usage = `${SENTINEL_SCHEME}[[user]:password@]host[:port][,host[:port]...]/<master-name>[/<db>]`;

  const sentinels: { host: string; port: number }[] = [];
  for (const item of hostList.split(',')) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(item.trim());
    const port = m?.[2] === undefined ? DEFAULT_SENTINEL_PORT : Number(m[2]);
    if (!m?.[1] || port < 1 || port > 65535) return { error: `Sentinel ${JSON.stringify(item)} is not host[:port] (${usage})` };
    sentinels.push({ host: m[1].replace(/^\[|\]$/g, ''), port });
  }
  if (path.includes('?') || path.includes('#')) return { error: `takes no query or fragment (${usage})` };
  const [rawName = '', dbRaw = '', ...extra] = path.split('/');
  const dbText = dbRaw || '0';
  const name = safeDecode(rawName);
  if (!name || extra.length > 0) return { error: `needs the master name after the Sentinels, and at most a database number after it (${usage})` };
  if (!/^\d{1,2}$/.test(dbText)) return { error: `database ${JSON.stringify(dbText)} is not a number (${usage})` };

  const target: RedisTarget = { kind: 'sentinel', sentinels, name, db: Number(dbText) };
  if (auth) {
    const colon = auth.indexOf(':');
    const username = safeDecode(colon === -1 ? auth : auth.slice(0, colon));
    const password = colon === -1 ? '' : safeDecode(auth.slice(colon + 1));
    if (username) target.username = username;
    if (password) target.password = password;
  }
  return target;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
