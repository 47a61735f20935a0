/** One event kept in a channel's history, as `BroadcastService.history()` returns it. */
export interface SseHistoryEntry<T = unknown> {
  /** Its id: its position in the channel, what `afterId` and `Last-Event-ID` take. */
  readonly id: string;
  /** The event type; undefined when the event was published without one (a `message` event). */
  readonly event: string | undefined;
  /**
   * What was published: a string as it was (its line breaks as LF, as a client receives them),
   * any other value parsed back from its JSON (a copy, Dates as strings).
   */
  readonly data: T;
}

/** Options of `BroadcastService.history()`. */
export interface SseHistoryQuery {
  /** Only events after this id (a position in the channel); the oldest kept event when absent. */
  readonly afterId?: string;
  /** At most this many (default 100). */
  readonly limit?: number;
}
