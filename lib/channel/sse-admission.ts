import type { SseConnection } from '../connection/sse-connection.js';

/**
 * A request that passed the guards and interceptors, with its connection reserved (it counts
 * against the limits and is listed as `connecting`). Until `open()` nothing is written, so a
 * handler that throws, or a pipe that rejects a param, still gets an ordinary HTTP error.
 */
export interface SseAdmission {
  readonly connection: SseConnection;
  /** Aborted when the response is over: the client left, or the stream ended. */
  readonly signal: AbortSignal;
  /** Starts the stream with what the handler returned. */
  open(result: unknown): void;
  /** Releases the reservation if the stream never opened (handler failed, client left). */
  abandon(): void;
}

// Carries the admission from the interceptor to the handler wrapper and param decorators on the
// response object: they all run for the same request, and it is the one object all are given.
const ADMISSION = Symbol('sse:admission');

export function attachAdmission(response: object, admission: SseAdmission): void {
  Object.defineProperty(response, ADMISSION, { value: admission, configurable: true });
}

/** The admission of a response, left in place (param decorators read it before the handler). */
export function peekAdmission(response: unknown): SseAdmission | undefined {
  if (response === null || typeof response !== 'object') return undefined;
  return (response as { [ADMISSION]?: SseAdmission })[ADMISSION];
}

/** The admission of a response, removed from it: the handler wrapper takes it once. */
export function takeAdmission(response: unknown): SseAdmission | undefined {
  const admission = peekAdmission(response);
  if (admission) delete (response as { [ADMISSION]?: SseAdmission })[ADMISSION];
  return admission;
}
