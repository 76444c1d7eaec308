/*
 * Lua scripts run atomically in Redis, so a write, its TTL, the id index and the announcement to the other
 * replicas happen together: no replica can see the key without the event or the event without the key.
 * Announcements are assembled by string concatenation, not cjson, so numbers keep their full precision.
 * Every write carries `active` (the heartbeat's time): a write older than what Redis holds is refused
 * ('stale'), which makes replaying writes after an outage safe.
 */

/**
 * KEYS: entry hash, id set. ARGV: id, data JSON, active ms, created ms, verification JSON ('' none), TTL ms,
 * channel, the heartbeat's own timestamp ms (its agent's clock).
 * Keeps the stored `created` and `verification` when the entry exists. Where a removal left its mark (see
 * REMOVE_SCRIPT) and no entry is stored, refuses ('stale') a heartbeat received before the removal, or sent
 * by its agent before its goodbye: one that reached another replica first but is written after the goodbye.
 * Returns {event, created, verification}.
 */
export const PUT_SCRIPT = `
local stored = redis.call('HMGET', KEYS[1], 'active', 'created', 'verification', 'removed', 'removedSent')
local existed = stored[1] ~= false
if existed and tonumber(stored[1]) > tonumber(ARGV[3]) then
  return {'stale', '', ''}
end
if not existed and stored[4] ~= false then
  if tonumber(stored[4]) >= tonumber(ARGV[3]) then return {'stale', '', ''} end
  local goodbyeSent = tonumber(stored[5] or '')
  local sent = tonumber(ARGV[8] or '')
  if goodbyeSent and sent and goodbyeSent >= sent then return {'stale', '', ''} end
end
local created = ARGV[4]
local verification = ARGV[5]
if existed then
  created = stored[2] or created
  verification = stored[3] or ''
end
redis.call('HDEL', KEYS[1], 'removed', 'removedSent')
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'active', ARGV[3], 'created', created)
if verification ~= '' then redis.call('HSET', KEYS[1], 'verification', verification) end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SADD', KEYS[2], ARGV[1])
local v = verification
if v == '' then v = 'null' end
redis.call('PUBLISH', ARGV[7], '{"op":"put","id":' .. cjson.encode(ARGV[1]) .. ',"data":' .. ARGV[2] ..
  ',"active":' .. ARGV[3] .. ',"created":' .. created .. ',"verification":' .. v .. '}')
if existed then return {'updated', created, verification} end
return {'joined', created, verification}
`;

/**
 * KEYS: entry hash, id set. ARGV: id, removal time ms, channel, the goodbye's own timestamp ms ('' for a
 * removal that is no goodbye: the admin's, the feed's), how long the mark stays (ms).
 * Removes unless a newer heartbeat is stored (then returns 0), leaving in the entry's place a mark of the
 * removal (`removed`, `removedSent`) that PUT_SCRIPT reads, for as long as a heartbeat sent before it may
 * still be on its way. Returns the removed fields {data, active, created, verification}, or nil when there
 * was nothing to remove.
 */
export const REMOVE_SCRIPT = `
local stored = redis.call('HMGET', KEYS[1], 'data', 'active', 'created', 'verification')
if stored[2] ~= false and tonumber(stored[2]) > tonumber(ARGV[2]) then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'removed', ARGV[2], 'removedSent', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], '{"op":"remove","id":' .. cjson.encode(ARGV[1]) .. '}')
if stored[2] == false then return nil end
return stored
`;

/**
 * KEYS: entry hash. ARGV: id, verification JSON, channel.
 * Sets the verification of a live entry without touching its TTL; returns 1, or 0 when there is no entry.
 */
export const VERIFY_SCRIPT = `
local stored = redis.call('HMGET', KEYS[1], 'data', 'active', 'created')
if stored[2] == false then return 0 end
redis.call('HSET', KEYS[1], 'verification', ARGV[2])
redis.call('PUBLISH', ARGV[3], '{"op":"put","id":' .. cjson.encode(ARGV[1]) .. ',"data":' .. stored[1] ..
  ',"active":' .. stored[2] .. ',"created":' .. stored[3] .. ',"verification":' .. ARGV[2] .. '}')
return 1
`;

/**
 * KEYS: id set, then entry hashes. ARGV: the ids, in the same order as the hashes.
 * Drops from the index the ids whose hash has expired (checked here, atomically, so a cache that came
 * back in the meantime keeps its place).
 */
export const PRUNE_SCRIPT = `
local removed = 0
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then
    removed = removed + redis.call('SREM', KEYS[1], ARGV[i])
  end
end
return removed
`;

/**
 * KEYS: the agent's seq hash. ARGV: seq, message timestamp ms, TTL ms.
 * The replay ledger of signed messages (server/ingest/replay.ts), shared by every replica: records the
 * seq (and timestamp) when it is above the stored one and returns {1, seq}; else changes nothing and
 * returns {0, stored seq}. Seqs are integers up to 2^53, exact in Lua's doubles.
 */
export const CLAIM_SEQ_SCRIPT = `
local stored = redis.call('HGET', KEYS[1], 'seq')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then
  return {0, stored}
end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'timestamp', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, ARGV[1]}
`;
