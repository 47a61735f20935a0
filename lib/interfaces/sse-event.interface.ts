/**
 * One Server-Sent Event, as the library writes it on the wire.
 *
 * `data` is required: strings are sent as they are (line breaks become several `data:` lines),
 * anything else is JSON-encoded. `event` must not contain CR, LF or NUL. `id` must be one the
 * client can send back as `Last-Event-ID` intact: 1 to 128 UTF-16 code units long (`id.length`;
 * an emoji counts 2), no control characters, no unpaired surrogates, no leading or trailing
 * space. `retry` is an integer number of
 * milliseconds >= 0.
 *
 * @example
 * const e: SseEvent<{ text: string }> = { event: 'message', id: '42', data: { text: 'hi' } };
 */
export interface SseEvent<T = unknown> {
  /** The payload. Strings are written as they are; other values are JSON-encoded. */
  data: T;
  /** Event type; the browser dispatches it to `addEventListener(event, ...)`. Defaults to `message`. */
  event?: string;
  /** Event id; the client sends it back as `Last-Event-ID` when it reconnects. */
  id?: string;
  /** Reconnection delay hint in milliseconds. */
  retry?: number;
  /** A comment written before the event; ignored by clients, useful for debugging. */
  comment?: string;
}
