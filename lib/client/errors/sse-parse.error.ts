import { SseClientError } from './sse-client.error.js';

/** Why an {@link SseParseError} was thrown. */
export type SseParseErrorReason = 'invalid-json' | 'event-too-large';

/**
 * An event could not be turned into a message: its data is not JSON (with `json()`), or it grew
 * past `maxEventSize`. The stream is closed, since what follows cannot be trusted either.
 *
 * @example
 * catch (error) {
 *   if (error instanceof SseParseError) log.warn(error.reason, error.event, error.data);
 * }
 */
export class SseParseError extends SseClientError {
  override readonly name: string = 'SseParseError';

  constructor(
    message: string,
    url: string,
    readonly reason: SseParseErrorReason,
    /** Type of the event at fault; undefined when it never completed. */
    readonly event: string | undefined,
    readonly id: string | undefined,
    /** The start of the event's data (at most 200 characters). */
    readonly data: string,
    options?: { cause?: unknown },
  ) {
    super(message, url, options);
  }
}
