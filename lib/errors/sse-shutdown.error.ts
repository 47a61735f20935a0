import { SseMessages } from '../sse.messages.js';

/**
 * A publish or send arrived after the application began shutting down, or was still validating
 * its payload when shutdown stopped waiting for it (`shutdownTimeoutMs`); nothing was sent.
 */
export class SseShutdownError extends Error {
  override readonly name = 'SseShutdownError';

  /** `operation`: what was not sent, e.g. `publish to "rooms/42"`. */
  constructor(readonly operation: string) {
    super(SseMessages.shutdownRefused(operation));
  }
}
