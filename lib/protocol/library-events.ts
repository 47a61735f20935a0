/**
 * The events the library sends on its own, in the `sse:` namespace, which applications cannot
 * use (the server refuses such event names), so none can be mistaken for an application's
 * event or collide with `EventSource`'s own `error` event. A browser's `EventSource` dispatches
 * them only to listeners of their name; this library's client handles them itself.
 *
 * Shared by the server and the client: no dependency, browser-safe.
 */
export const LIBRARY_EVENTS = {
  /** Carries the stream's id, so a client that has had no event yet resumes from there. */
  position: 'sse:position',
  /** The client's `Last-Event-ID` could not be resumed: events may be missing; reload state. */
  reset: 'sse:reset',
  /** The handler's stream failed; the stream ends after it. */
  error: 'sse:error',
} as const;

/** The prefix of the library's own event names. */
export const RESERVED_EVENT_PREFIX = 'sse:';

/**
 * Why a client could not resume where it was: its id was never issued by this server for this
 * stream (`unknown-id`: another server, a restart of the in-memory backend, a forged id),
 * history no longer holds every event after it (`evicted`), or history could not be read
 * (`unavailable`).
 */
export type SseResetReason = 'unknown-id' | 'evicted' | 'unavailable';

/** What `sse:reset` carries. */
export interface SseResetData {
  readonly reason: SseResetReason;
}

/** What `sse:error` carries. */
export interface SseStreamErrorData {
  /** A message safe to show: an `HttpException`'s own, otherwise `Internal server error`. */
  readonly message: string;
  /** The HTTP status the error stands for (500 unless an `HttpException` said otherwise). */
  readonly status: number;
  /**
   * Whether reconnecting may help: false for a 4xx (the request itself is refused now, e.g. a
   * `ForbiddenException` once access is revoked), true otherwise.
   */
  readonly retryable: boolean;
}
