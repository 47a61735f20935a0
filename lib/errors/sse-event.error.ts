/**
 * Thrown when an event cannot be written as a Server-Sent Event: `event` holds CR, LF or NUL,
 * `id` could not come back intact as `Last-Event-ID`, `retry` is not an integer >= 0, or `data`
 * cannot be serialized. Nothing is written when it is
 * thrown, so no stream is ever left with half a frame.
 */
export class SseEventError extends Error {
  override readonly name = 'SseEventError';

  constructor(
    message: string,
    /** The event field at fault: `data`, `event`, `id`, `retry` or `comment`. */
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
