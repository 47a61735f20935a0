/**
 * Lua run atomically in Redis. One round trip per publish assigns the id (the stream entry id:
 * ordered per channel cluster-wide, and increasing even with no history kept, since the stream
 * remembers its last id), stores the event, trims history, and publishes it on the bus, so
 * every instance sees events in the order Redis assigned them.
 *
 * KEYS[1] history stream, KEYS[2] finished marker, KEYS[3] global sequence (orders events of
 * different channels, whose stream ids are independent, for replays across channels, and tells
 * an instance which events its lost subscription missed). A missing sequence (first publish, or
 * Redis lost its data) starts again from the clock in microseconds: above any value it had
 * before unless more than a million events per second were published since it started, so
 * instances that remember an older value still recognise later events as later.
 * ARGV[1] history size (MAXLEN; 0 keeps none; -1 for a final event: the size the channel's newest
 * entry recorded, since a finish does not know the channel's configured size), ARGV[2] stream ttl
 * ms, ARGV[3] max age ms (0: none),
 * ARGV[4] caller's id ('' to use the entry id), ARGV[5] frame head, ARGV[6] frame tail,
 * ARGV[7] bus channel, ARGV[8] message metadata: a JSON object without its closing brace,
 * ARGV[9] finished ttl ms (0: not a finish)
 * The bus message carries the entry id (`p`) and the sequence (`g`). Returns the entry id.
 */
export const PUBLISH_SCRIPT = `
local size = tonumber(ARGV[1])
if size < 0 then
  local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
  size = newest and tonumber(newest[2][10]) or 0
end
local seq = redis.call('INCR', KEYS[3])
if seq == 1 then
  local now = redis.call('TIME')
  seq = tonumber(now[1]) * 1000000 + tonumber(now[2])
  redis.call('SET', KEYS[3], string.format('%d', seq))
end
local g = string.format('%d', seq)
local id = redis.call('XADD', KEYS[1], 'MAXLEN', size, '*', 'c', ARGV[4], 'h', ARGV[5], 't', ARGV[6], 'g', g, 'n', size)
local maxAge = tonumber(ARGV[3])
if maxAge > 0 and size > 0 then
  local now = redis.call('TIME')
  local cutoff = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - maxAge
  redis.call('XTRIM', KEYS[1], 'MINID', cutoff)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if tonumber(ARGV[9]) > 0 then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[9])
end
local eventId = ARGV[4]
if eventId == '' then eventId = id end
local frame = ARGV[5] .. 'id: ' .. eventId .. '\\n' .. ARGV[6]
redis.call('PUBLISH', ARGV[7], ARGV[8] .. ',"p":"' .. id .. '","g":' .. g .. '}\\n' .. frame)
return id
`;

/**
 * Finishes a channel without a final event: marks it and tells every instance to end its
 * streams. KEYS[1] finished marker; ARGV[1] ttl ms, ARGV[2] bus channel, ARGV[3] message.
 */
export const FINISH_SCRIPT = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return redis.call('PUBLISH', ARGV[2], ARGV[3])
`;
