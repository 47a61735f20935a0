/** One event kept in a channel's history, as `BroadcastService.history()` returns it. */
export interface SseHistoryEntry {
  readonly id: string;
  /** The event type; undefined for plain `message` events. */
  readonly event: string | undefined;
  /** The data as it went on the wire: the string, or the JSON text of other values. */
  readonly data: string;
}

/** Options of `BroadcastService.history()`. */
export interface SseHistoryQuery {
  /** Only events after this id; the oldest kept event when absent. */
  readonly afterId?: string;
  /** At most this many (default 100). */
  readonly limit?: number;
}
