import type { SseConnection } from '../connection/sse-connection.js';

/**
 * A request that passed the guards, pipes and interceptors, with its connection reserved (it
 * counts against the limits and is listed as `connecting`). Until its handler has returned
 * nothing is written, so a handler that throws still gets an ordinary HTTP error.
 */
export interface SseAdmission {
  readonly connection: SseConnection;
  /** Aborted when the response is over: the client left, or the stream ended. */
  readonly signal: AbortSignal;
  /** Releases the reservation if the stream never opened (handler failed, client left). */
  abandon(): void;
}
