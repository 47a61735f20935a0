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
}

// Carries the admission from the interceptor to the handler wrapper on the response object:
// both run for the same request, and the response is the one argument both are given.
const ADMISSION = Symbol('sse:admission');

export function attachAdmission(response: object, admission: SseAdmission): void {
  Object.defineProperty(response, ADMISSION, { value: admission, configurable: true });
}

export function takeAdmission(response: unknown): SseAdmission | undefined {
  if (response === null || typeof response !== 'object') return undefined;
  const admission = (response as { [ADMISSION]?: SseAdmission })[ADMISSION];
  delete (response as { [ADMISSION]?: SseAdmission })[ADMISSION];
  return admission;
}
