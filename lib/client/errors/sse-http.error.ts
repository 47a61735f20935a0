import { SseClientError } from './sse-client.error.js';

/**
 * The server answered, but not with a stream: a status other than 200 (204 ends the stream
 * without an error) or a content type other than `text/event-stream`. As with `EventSource`,
 * the stream ends there, on a reconnect too (a 503 during a deploy): the client does not guess
 * which answers are worth retrying. Connect again with `lastEventId` to resume.
 *
 * @example
 * catch (error) {
 *   if (error instanceof SseHttpError && error.status === 401) redirectToLogin();
 * }
 */
export class SseHttpError extends SseClientError {
  override readonly name: string = 'SseHttpError';

  constructor(
    message: string,
    url: string,
    readonly status: number,
    readonly statusText: string,
    /** The response's `content-type`, if it had one. */
    readonly contentType: string | undefined,
    /** The start of the response body (at most 1024 characters), e.g. a JSON error. */
    readonly body: string,
  ) {
    super(message, url);
  }
}
