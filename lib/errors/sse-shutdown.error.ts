/**
 * A publish or send arrived after the application began shutting down, or was still validating
 * its payload when shutdown stopped waiting for it (`shutdownTimeoutMs`); nothing was sent.
 */
export class SseShutdownError extends Error {
  override readonly name = 'SseShutdownError';

  constructor(readonly operation: string) {
    super(`SseModule is shutting down: ${operation} was not sent`);
  }
}
