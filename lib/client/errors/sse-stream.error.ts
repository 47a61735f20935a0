import { SseClientError } from './sse-client.error.js';

/**
 * The server's handler failed while streaming (it sent `sse:error`, then ended the response).
 * When the server says retrying cannot help (`retryable` false: a 4xx, such as access revoked),
 * the stream fails with it. Otherwise the client reconnects as after a network error, the delay
 * growing with each failure in a row, and it is the `cause` of the `SseConnectionError` that
 * ends the stream once `maxRetries` is spent.
 *
 * @example
 * catch (error) {
 *   if (error instanceof SseStreamError && error.status === 403) showAccessRevoked();
 * }
 */
export class SseStreamError extends SseClientError {
  override readonly name: string = 'SseStreamError';

  constructor(
    message: string,
    url: string,
    /** The HTTP status the server gave the failure (500 unless it said otherwise). */
    readonly status: number,
    /** Whether the server said reconnecting may help. */
    readonly retryable: boolean,
  ) {
    super(message, url);
  }
}
