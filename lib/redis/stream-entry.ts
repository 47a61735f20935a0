import {
  frameText,
  historyEntryOf,
  type OutboundFrame,
  type SseHistoryEntry,
} from '../backends/index.js';

/** A stream entry as ioredis returns it: `[id, [field, value, field, value, ...]]`. */
export type RawStreamEntry = [string, string[]];

/**
 * The fields of a channel's history entry, as Redis stores them; the Lua scripts
 * (`redis-scripts.ts`) spell them from here too. Short names, because Redis keeps them in every
 * entry.
 */
export const ENTRY_FIELDS = {
  head: 'h',
  tail: 't',
  json: 'j',
  previous: 'p',
  historySize: 'n',
} as const;

/** One event of a channel's history, read by field name. */
export interface StreamEntry {
  /** The entry id: the event's position in the channel, and its `id:`. */
  readonly position: string;
  /** The frame's lines before and after its `id:` line (see `PreparedEvent`). */
  readonly head: string;
  readonly tail: string;
  /** Its data was JSON-encoded. */
  readonly json: boolean;
  /** The position of the entry before it when it was added ('0-0' for a new stream). */
  readonly previous: string | undefined;
}

export function readStreamEntry([position, fields]: RawStreamEntry): StreamEntry {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2)
    values.set(fields[i] as string, fields[i + 1] as string);
  return {
    position,
    head: values.get(ENTRY_FIELDS.head) ?? '',
    tail: values.get(ENTRY_FIELDS.tail) ?? '',
    json: values.get(ENTRY_FIELDS.json) === '1',
    previous: values.get(ENTRY_FIELDS.previous),
  };
}

/** The entry as its channel's subscribers receive it. */
export function entryFrame(
  channel: string,
  entry: StreamEntry,
): OutboundFrame & { readonly channel: string; readonly position: string } {
  const bytes = Buffer.from(frameText(entry, entry.position));
  return { bytes, isEvent: true, channel, position: entry.position };
}

/** The entry as `history()` returns it. */
export function historyEntry(entry: StreamEntry): SseHistoryEntry {
  return historyEntryOf(entry.position, frameText(entry, entry.position), entry.json);
}
