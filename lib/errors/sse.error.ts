/**
 * Base class of every error the server side of the library throws, so one `instanceof` check
 * (or `SseExceptionFilter`) tells them from the application's own. `code` names the kind of
 * error in a form that stays stable across messages, e.g. for an API's error body.
 *
 * @example
 * try {
 *   await broadcast.publish(channel, { data });
 * } catch (error) {
 *   if (error instanceof SseError) logger.warn(`${error.code}: ${error.message}`);
 *   else throw error;
 * }
 */
export abstract class SseError extends Error {
  /** Stable identifier of the kind of error, e.g. `SSE_INVALID_EVENT`. */
  abstract readonly code: string;
}
