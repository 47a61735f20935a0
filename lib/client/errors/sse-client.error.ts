/**
 * Base class of everything the SSE client throws about a stream, so one `instanceof` check
 * tells a stream failure from an application bug.
 *
 * @example
 * try {
 *   for await (const message of connect(url)) render(message);
 * } catch (error) {
 *   if (!(error instanceof SseClientError)) throw error;
 *   showBanner(`Live updates stopped: ${error.message}`);
 * }
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
