import { SseClientError } from './sse-client.error.js';

/**
 * The server answered, but not with a stream: a status other than 200 (204 ends the stream
 * without an error) or a content type other than `text/event-stream`. The client does not
 * retry: the answer would most likely be the same.
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
