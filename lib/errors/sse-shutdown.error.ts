import { SseMessages } from '../sse.messages.js';
import { SseError } from './sse.error.js';

/**
 * A publish or send arrived after the application began shutting down, or was still validating
 * its payload when shutdown stopped waiting for it (`shutdownTimeoutMs`): nothing was sent. Or
 * (`outcomeUnknown`) it was still waiting on the backend (Redis) when shutdown closed the
 * connection to it: the backend may have carried it out, to other instances, or not.
 */
export class SseShutdownError extends SseError {
  override readonly name = 'SseShutdownError';
  readonly code = 'SSE_SHUTTING_DOWN';

  /**
   * `operation`: what was not sent, e.g. `publish to "rooms/42"`; or, with `outcomeUnknown`,
   * what was sent to the backend, which shutdown stopped waiting for.
   */
  constructor(
    readonly operation: string,
    readonly outcomeUnknown = false,
  ) {
    super(
      outcomeUnknown
        ? SseMessages.shutdownBeforeAnswer(operation)
        : SseMessages.shutdownRefused(operation),
    );
  }
}
