import type { HttpExchange } from '../http/http-exchange.js';
import type { SseRoute } from './sse-route.js';

/**
 * A request that passed the guards and interceptors and may become a stream once its handler
 * returns. Until `open()` nothing is written, so a handler that throws (or a pipe that rejects a
 * param) still gets an ordinary HTTP error response.
 */
export interface SseAdmission {
  readonly route: SseRoute;
  readonly exchange: HttpExchange;
  readonly channels: readonly string[];
  /** Starts the stream with what the handler returned. */
  open(result: unknown): void;
  /** Forgets the request if it never opened (handler failed, client left first). */
  abandon(): void;
  /** Aborted when the response is over: the client left, or the stream ended. */
  readonly signal: AbortSignal;
}

// Carries the admission from the interceptor to the handler wrapper on the response object:
// both run for the same request, and the response is the one argument both are given.
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
