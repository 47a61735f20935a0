import { SSE_FIELD } from '../wire/sse-frame.js';
import { ENTRY_FIELDS as F } from './stream-entry.js';

/**
 * Lua run atomically in Redis. Each touches the keys of one channel only: its history stream
 * and finished marker.
 */

/** Finds a field of a stream entry (`{ id, { field, value, ... } }`) by name. */
const FIELD_OF = `
local function fieldOf(entry, name)
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end
`;

/** The last id a stream generated, also when it holds no entry any more (XINFO STREAM). */
const LAST_GENERATED_ID = `
local function lastGeneratedId(key)
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then return info[i + 1] end
  end
  return '0-0'
end
`;

/** What the publish script answers, instead of a position, for a channel that is finished. */
export const FINISHED_REPLY = 'finished';

/**
 * One round trip per publish assigns the position (the stream entry id: ordered within the
 * channel, and increasing even with no history kept, since the stream remembers its last id),
 * stores the event, trims history, and publishes it on the channel's shard channel (SPUBLISH:
 * sharded pub/sub, which on Redis Cluster stays on the shard that owns the channel's keys), so
 * every instance serving the channel sees its events in the order Redis assigned them.
 *
 * KEYS[1] history stream, KEYS[2] finished marker.
 * ARGV[1] history size (MAXLEN; 0 keeps none; -1 for a final event: the size the channel's newest
 * entry recorded, since a finish does not know the channel's configured size), ARGV[2] stream ttl
 * ms, ARGV[3] max age ms (0: none), ARGV[4] frame head, ARGV[5] frame tail, ARGV[6] '1' if the
 * data is JSON, ARGV[7] the channel's shard channel, ARGV[8] message metadata: a JSON object
 * without its closing brace, ARGV[9] finished ttl ms (0: not a finish).
 *
 * Every entry records the id of the entry before it (`previous`), so a reader knows, from the
 * oldest entry left, whether events after a client's position were trimmed away.
 * The message carries the entry id (`p`, see `bus-message.ts`). Returns the entry id, or
 * {@link FINISHED_REPLY} (storing nothing) when a publish finds the channel finished.
 */
export const PUBLISH_SCRIPT = `${FIELD_OF}${LAST_GENERATED_ID}
local finishTtl = tonumber(ARGV[9])
if finishTtl == 0 and redis.call('EXISTS', KEYS[2]) == 1 then
  return '${FINISHED_REPLY}'
end
local size = tonumber(ARGV[1])
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if size < 0 then
  size = newest and tonumber(fieldOf(newest, '${F.historySize}')) or 0
end
local previous = '0-0'
if newest then
  previous = newest[1]
elseif redis.call('EXISTS', KEYS[1]) == 1 then
  previous = lastGeneratedId(KEYS[1])
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', size, '*', '${F.head}', ARGV[4], '${F.tail}', ARGV[5], '${F.json}', ARGV[6], '${F.previous}', previous, '${F.historySize}', size)
local maxAge = tonumber(ARGV[3])
if maxAge > 0 and size > 0 then
  local now = redis.call('TIME')
  local cutoff = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - maxAge
  redis.call('XTRIM', KEYS[1], 'MINID', cutoff)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if finishTtl > 0 then
  redis.call('SET', KEYS[2], '1', 'PX', finishTtl)
end
local frame = ARGV[4] .. '${SSE_FIELD.id}' .. id .. '\\n' .. ARGV[5]
redis.call('SPUBLISH', ARGV[7], ARGV[8] .. ',"p":"' .. id .. '"}\\n' .. frame)
return id
`;

/**
 * Finishes a channel without a final event: marks it and tells the instances serving it to end
 * their streams. KEYS[1] finished marker; ARGV[1] ttl ms, ARGV[2] the channel's shard
 * channel, ARGV[3] message.
 */
export const FINISH_SCRIPT = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return redis.call('SPUBLISH', ARGV[2], ARGV[3])
`;

/** What {@link READ_SCRIPT} says about a client's position. */
export type ReadStatus = 'ok' | 'unknown-id' | 'evicted';

/**
 * Reads a channel's history for a stream that opens: where the channel is now, and the events
 * after a client's position (after checking none of them is gone), or the newest N.
 *
 * KEYS[1] history stream. ARGV[1] the client's position ('' on a first connect), ARGV[2] on a
 * first connect the events wanted (newest first), on a resume the most to return (0: all),
 * ARGV[3] stream ttl ms.
 * Returns { status, position, entries }: `position` is where the channel is now (on a first
 * connect), or after the entries (on a resume). A channel with no stream is at "just before now"
 * (the Redis clock), below any id its stream can get later.
 *
 * A resume is `evicted` if an entry after the position was trimmed: the oldest entry left knows
 * the id before it; with none left, the last id generated. It is `unknown-id` if the position is
 * past the stream's last id, or if it predates the stream, which was created since and may
 * have replaced one that expired (ttl) with events after the position.
 */
export const READ_SCRIPT = `${FIELD_OF}${LAST_GENERATED_ID}
local function parse(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end
local function before(a, b)
  local aMs, aSeq = parse(a)
  local bMs, bSeq = parse(b)
  return aMs < bMs or (aMs == bMs and aSeq < bSeq)
end
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local ttl = tonumber(ARGV[3])
local from = ARGV[1]
local count = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then
  local justBefore = string.format('%d-%d', nowMs - 1, 9007199254740991)
  if from == '' then return { 'ok', justBefore, {} } end
  local fromMs = parse(from)
  if nowMs - fromMs < ttl then return { 'ok', from, {} } end
  return { 'unknown-id', justBefore, {} }
end
if from == '' then
  local newest = {}
  if count > 0 then newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', count) end
  local position = newest[1] and newest[1][1] or lastGeneratedId(KEYS[1])
  return { 'ok', position, newest }
end
local latest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
local last = latest and latest[1] or lastGeneratedId(KEYS[1])
if before(last, from) then return { 'unknown-id', last, {} } end
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
if oldest then
  local previous = fieldOf(oldest, '${F.previous}') or oldest[1]
  if before(from, previous) then return { 'evicted', last, {} } end
  local fromMs = parse(from)
  if previous == '0-0' and before(from, oldest[1]) and nowMs - fromMs >= ttl then
    return { 'unknown-id', last, {} }
  end
elseif before(from, last) then
  return { 'evicted', last, {} }
end
local entries
if count > 0 then
  entries = redis.call('XRANGE', KEYS[1], '(' .. from, '+', 'COUNT', count)
else
  entries = redis.call('XRANGE', KEYS[1], '(' .. from, '+')
end
local position = entries[#entries] and entries[#entries][1] or from
return { 'ok', position, entries }
`;

/** What {@link PUBLISH_SCRIPT} is run with, by name. */
export interface PublishScriptInput {
  readonly historyKey: string;
  readonly finishedKey: string;
  /** MAXLEN of the history; 0 keeps none; -1 for a final event (see the script). */
  readonly historySize: number;
  readonly streamTtlMs: number;
  /** 0: no bound on age. */
  readonly maxAgeMs: number;
  readonly head: string;
  readonly tail: string;
  readonly json: boolean;
  /** The channel's shard channel (sharded pub/sub). */
  readonly events: string;
  /** The message's header without its closing brace (see `openEventHeader()`). */
  readonly openHeader: string;
  /** 0: a publish; more: a finish with a final event, marking the channel for that long. */
  readonly finishedTtlMs: number;
}

/** The keys count and arguments of {@link PUBLISH_SCRIPT}, in the order its text reads them. */
export function publishScriptArgs(input: PublishScriptInput): Array<string | number> {
  return [
    input.historyKey,
    input.finishedKey,
    input.historySize,
    input.streamTtlMs,
    input.maxAgeMs,
    input.head,
    input.tail,
    input.json ? '1' : '0',
    input.events,
    input.openHeader,
    input.finishedTtlMs,
  ];
}

/** What {@link FINISH_SCRIPT} is run with, by name. */
export interface FinishScriptInput {
  readonly finishedKey: string;
  readonly finishedTtlMs: number;
  /** The channel's shard channel (sharded pub/sub). */
  readonly events: string;
  readonly message: string;
}

export function finishScriptArgs(input: FinishScriptInput): Array<string | number> {
  return [input.finishedKey, input.finishedTtlMs, input.events, input.message];
}

/** What {@link READ_SCRIPT} is run with, by name. */
export interface ReadScriptInput {
  readonly historyKey: string;
  /** The client's position; '' on a first connect. */
  readonly from: string;
  /** On a first connect the newest events wanted; on a resume the most to return (0: all). */
  readonly count: number;
  readonly streamTtlMs: number;
}

export function readScriptArgs(input: ReadScriptInput): Array<string | number> {
  return [input.historyKey, input.from, input.count, input.streamTtlMs];
}
