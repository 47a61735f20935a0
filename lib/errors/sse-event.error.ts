import { SseError } from './sse.error.js';

/**
 * An event that cannot be sent as given: not an event object (`{ data, event?, ... }`), a field
 * the method does not take (`id` on `publish()`), `event` with CR, LF or NUL or in the reserved
 * `sse:` namespace, an `id` a client could not send back intact as `Last-Event-ID`, a `retry`
 * that is not an integer >= 0, or `data` that cannot be serialized. Nothing is written when it
 * is thrown, so no stream is ever left with half a frame.
 */
export class SseEventError extends SseError {
  override readonly name = 'SseEventError';
  readonly code = 'SSE_INVALID_EVENT';

  constructor(
    message: string,
    /** The event field at fault (`data`, `event`, `id`, `retry`, `comment`), or `event object`. */
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
