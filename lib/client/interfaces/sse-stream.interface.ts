import type { Observable } from 'rxjs';
import type { SseEventMap } from '../../protocol/event-contract.js';
import type { SseMessage, SseMessageOf, SseStreamState } from './sse-message.interface.js';

/**
 * What every stream offers, whatever the messages it yields: a stream that outlives its
 * connections, consumed once with `for await` or as an Observable.
 */
export interface SseStreamOf<M> extends AsyncIterable<M> {
  readonly url: string;
  readonly state: SseStreamState;
  /**
   * The id of the last message handed to the consumer that had one. Pass it as the
   * `lastEventId` option of a new stream to resume after this one.
   */
  readonly lastEventId: string | undefined;
  /**
   * The messages as an Observable; unsubscribing closes the stream. `from(stream)` does the
   * same.
   */
  asObservable(): Observable<M>;
  /**
   * Resolves when a connection is open (at once if one is), which is when the server has
   * accepted the request. Rejects if the stream ends before that.
   */
  opened(): Promise<void>;
  /** Closes the stream for good: aborts the request, drops waiting messages, ends iteration. */
  close(): void;
}

/**
 * A Server-Sent Events stream that outlives its connections: it reconnects with
 * `Last-Event-ID`, drops replayed events and hands out messages in order. Consume it once,
 * with `for await` or as an Observable; ending either (`break`, `unsubscribe()`) closes it.
 *
 * `for await` ends when the stream ends normally (HTTP 204, `close()`, the `signal`, the page
 * being hidden) and throws an `SseClientError` when it fails.
 *
 * @example
 * const stream = connect('/events/rooms/42').json<{ text: string }>();
 * for await (const { data } of stream) console.log(data.text);
 */
export interface SseStream<T = string> extends SseStreamOf<SseMessage<T>> {
  /**
   * The same stream, with `data` parsed as JSON. An event whose data is not JSON fails the
   * stream with `SseParseError`. Call it before consuming: both share one connection.
   */
  json<U = unknown>(): SseStream<U>;
}

/**
 * A stream typed by an event map (`connect<SseEventsOf<typeof ChatEvents>>(url, { events })`):
 * it yields {@link SseMessageOf} its map, a union discriminated by `event`, and skips events the
 * map does not name. Data that does not decode as its event declares (JSON that is not) fails
 * the stream with `SseParseError`.
 */
export type SseEventStream<E extends SseEventMap> = SseStreamOf<SseMessageOf<E>>;
