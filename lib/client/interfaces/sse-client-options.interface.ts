import type { SseDataDecoding, SseEventMap } from '../../protocol/event-contract.js';
import type { SseReset, SseStreamState } from './sse-message.interface.js';

/** Request headers, in any form `fetch` accepts. */
export type SseHeaders =
  Record<string, string> | Headers | ReadonlyArray<readonly [string, string]>;

/**
 * A request body. Streams are left out on purpose: the body is sent again on every reconnect,
 * and a stream can be read only once.
 */
export type SseRequestBody = string | URLSearchParams | Blob | FormData | ArrayBuffer | Uint8Array;

/** How the reconnection delay grows while attempts keep failing. */
export interface SseBackoffOptions {
  /** Each failed attempt in a row multiplies the delay by this. Default 2. */
  readonly factor?: number;
  /** The delay grows to at most this (or the server's `retry`, if larger), before jitter. Default 30000. */
  readonly maxMs?: number;
  /**
   * Adds a random 0 to `jitter` times the delay, so clients dropped together do not all come
   * back at the same instant. The delay is never shorter than asked. From 0 to 1; default 0.5.
   */
  readonly jitter?: number;
}

/**
 * The `fetch` the client calls: the global one unless another is given (a polyfill, or one
 * with a custom agent in Node).
 */
export type SseFetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Options of {@link connect}. All are optional.
 *
 * @example
 * connect('/events/rooms/42', { credentials: 'include', heartbeatTimeoutMs: 45_000 })
 */
export interface SseClientOptions {
  /** HTTP method. Default GET, or POST when a `body` is given. */
  readonly method?: string;
  /**
   * Request headers. A function is called before every connection attempt, so a reconnect can
   * carry a fresh token; if it throws, the stream ends with that error. `Accept` and
   * `Last-Event-ID` are set by the client.
   */
  readonly headers?: SseHeaders | (() => SseHeaders | Promise<SseHeaders>);
  /** Request body, sent again on every reconnect; a function is called before each attempt. */
  readonly body?: SseRequestBody | (() => SseRequestBody | Promise<SseRequestBody>);
  /** Whether a browser sends cookies: `include` for a cross-origin stream. Default `same-origin`. */
  readonly credentials?: 'omit' | 'same-origin' | 'include';
  /** Sent as `Last-Event-ID` on the first connection, to resume where an earlier stream stopped. */
  readonly lastEventId?: string;
  /** Reconnection delay in milliseconds until the server sends `retry:`. Default 3000. */
  readonly retryMs?: number;
  /**
   * Reconnection attempts in a row (without a connection opening in between) before the stream
   * fails with `SseConnectionError`; 0 never reconnects. Default Infinity.
   */
  readonly maxRetries?: number;
  /** How the delay grows while attempts keep failing; `false` waits the same delay each time. */
  readonly backoff?: SseBackoffOptions | false;
  /**
   * If nothing at all arrives for this long (no event, no comment, no heartbeat), the
   * connection is treated as dead and replaced. Set it to a few times the server's heartbeat
   * interval; 0 turns the watchdog off. Default 45000.
   */
  readonly heartbeatTimeoutMs?: number;
  /**
   * How many recent event ids are remembered to drop events a server replays after a
   * reconnect; 0 turns this off. Memory: at most this many ids. Default 1000.
   */
  readonly dedupeWindow?: number;
  /**
   * Received messages waiting for the consumer. When this many wait (or about `maxEventSize`
   * characters of data), the client stops reading the socket until the consumer catches up,
   * so a slow consumer slows the server down instead of filling memory. Default 100.
   */
  readonly bufferSize?: number;
  /**
   * Largest event accepted, in characters (its data plus any unfinished line); a larger one
   * fails the stream with `SseParseError`. Default 1048576.
   */
  readonly maxEventSize?: number;
  /**
   * In a browser, close the stream when the page is hidden for navigation or unload
   * (`pagehide`), so the server sees the client leave and the page stays eligible for the
   * back/forward cache. Default true.
   */
  readonly closeOnPageHide?: boolean;
  /** Aborting it closes the stream, like `close()`. */
  readonly signal?: AbortSignal;
  /**
   * Called on every state change, with the failure that caused a reconnect or ended the stream.
   * Like an event listener, what it throws is reported as an uncaught error and does not affect
   * the stream.
   */
  readonly onStateChange?: (state: SseStreamState, error?: unknown) => void;
  /**
   * Called when the server could not resume the stream where the client was (`sse:reset`: the
   * events missed are no longer in its history, or it restarted without it), in order: after
   * the messages before it have been consumed and before the next is handed out (awaited if it
   * returns a Promise). Reload the state the earlier messages built. A reset is never handed out
   * as a message.
   *
   * @example
   * connect(url, { onReset: async () => setMessages(await api.loadMessages()) })
   */
  readonly onReset?: (reset: SseReset) => void | Promise<void>;
  /** The `fetch` to use. Default: the global one. */
  readonly fetch?: SseFetch;
}

/**
 * How a typed stream decodes each event of its map: `'json'`, or `'text'` for a string payload
 * (which the server sends as it is). TypeScript requires every event of the map, each with the
 * decoding its payload type calls for.
 */
export type SseEventDecodings<E extends SseEventMap> = {
  readonly [K in keyof E & string]: SseDataDecoding<E[K]>;
};

/**
 * Options of a stream typed by an event map: {@link SseClientOptions} and `events`, the events
 * it yields and how each is decoded. An event the map does not name (another handler's, the
 * server's shutdown event) is skipped, as `EventSource` skips events no listener is added for.
 *
 * @example
 * connect<SseEventsOf<typeof ChatEvents>>('/chat/rooms/42', {
 *   events: { message: 'json', typing: 'json' },
 * });
 */
export interface SseTypedClientOptions<E extends SseEventMap> extends SseClientOptions {
  readonly events: SseEventDecodings<E>;
}
