/**
 * Base class of everything the SSE client throws about a stream, so one `instanceof` check
 * tells a stream failure from an application bug.
 */
export class SseClientError extends Error {
  override readonly name: string = 'SseClientError';

  constructor(
    message: string,
    /** The URL the stream was opened with, query string included (messages leave it out). */
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
