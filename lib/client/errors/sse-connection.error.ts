import { SseClientError } from './sse-client.error.js';

/**
 * The stream could not be kept open: `maxRetries` reconnection attempts in a row failed on the
 * network (refused, reset, DNS, TLS, CORS in a browser) or went silent past
 * `heartbeatTimeoutMs`. `cause` holds the last failure.
 *
 * @example
 * catch (error) {
 *   if (error instanceof SseConnectionError) showOffline(error.attempts);
 * }
 */
export class SseConnectionError extends SseClientError {
  override readonly name: string = 'SseConnectionError';

  constructor(
    message: string,
    url: string,
    /** Failed attempts in a row, the first connection included; 0 if it was closed before opening. */
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, url, options);
  }
}
