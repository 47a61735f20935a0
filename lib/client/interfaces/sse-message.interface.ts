import type { SseEventMap, SseWireData } from '../../protocol/event-contract.js';
import type { SseResetReason } from '../../protocol/library-events.js';

/**
 * One event as the client received it.
 *
 * @example
 * for await (const message of connect(url).json<Chat>()) {
 *   if (message.event === 'message') render(message.data.text);
 * }
 */
export interface SseMessage<T = string> {
  /** The `data:` lines joined with `\n`; parsed as JSON by `json()`. */
  readonly data: T;
  /** The `event:` field; `message` when the server sent none. */
  readonly event: string;
  /**
   * The event's own `id:` field; undefined when it has none (the stream's `lastEventId` keeps
   * the previous one).
   */
  readonly id: string | undefined;
  /**
   * The reconnection delay in milliseconds the server last set with `retry:`, as of this event;
   * undefined while it has set none.
   */
  readonly retry: number | undefined;
}

/** One event of a contract, as a typed stream yields it: `event` names it, `data` is its payload. */
export interface SseEventMessage<K extends string, T> extends SseMessage<T> {
  readonly event: K;
}

/**
 * What a stream typed by an event map yields (`connect<SseEventsOf<typeof ChatEvents>>(url,
 * { events })`): one message type per event, discriminated by `event`, so checking `event`
 * narrows `data`. A string payload arrives as the string it was; any other as its JSON
 * (`SseJson`: a `Date` as its string).
 *
 * @example
 * for await (const message of stream) {
 *   if (message.event === 'message') render(message.data.text);
 *   else showTyping(message.data.user);
 * }
 */
export type SseMessageOf<E extends SseEventMap> = {
  [K in keyof E & string]: SseEventMessage<K, SseWireData<E[K]>>;
}[keyof E & string];

/**
 * Where a stream is: `connecting` (first connection, or waiting to reconnect), `open`, or
 * `closed` for good.
 */
export type SseStreamState = 'connecting' | 'open' | 'closed';

/**
 * The server could not resume the stream where the client was (see `onReset`): events may be
 * missing, so state built from earlier events should be reloaded.
 */
export interface SseReset {
  /** `unknown-id`, `evicted` or `unavailable`: see the server's README, "History and replay". */
  readonly reason: SseResetReason;
  /** The stream's id from here on (what a new stream resumes from), if the server sent one. */
  readonly lastEventId: string | undefined;
}
