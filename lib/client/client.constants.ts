/**
 * Defaults of the client options, in one place; `resolveClientOptions()` is the only reader.
 *
 * They are the client's own: the server's `SseModuleOptions` defaults describe what a server
 * sends, these describe what a client does when the server says nothing.
 */
export const SSE_CLIENT_DEFAULTS = {
  /** Reconnection delay until the server sends `retry:`. */
  retryMs: 3_000,
  maxRetries: Number.POSITIVE_INFINITY,
  backoff: { factor: 2, maxMs: 30_000, jitter: 0.5 },
  /** Three times the server's default heartbeat interval (15 s): one lost beat is no reason to reconnect. */
  heartbeatTimeoutMs: 45_000,
  dedupeWindow: 1_000,
  bufferSize: 100,
  maxEventSize: 1_048_576,
  closeOnPageHide: true,
} as const;

/** Bounds of the numeric options, used by validation and by its error messages. */
export const SSE_CLIENT_LIMITS = {
  retryMs: { min: 0, max: 3_600_000 },
  maxRetries: { min: 0 },
  // setTimeout() fires at once for anything above 2^31 - 1 ms.
  heartbeatTimeoutMs: { min: 0, max: 2_147_483_647 },
  dedupeWindow: { min: 0, max: 100_000 },
  bufferSize: { min: 1, max: 100_000 },
  maxEventSize: { min: 1, max: 268_435_456 },
  backoffFactor: { min: 1, max: 100 },
  backoffMaxMs: { min: 0, max: 3_600_000 },
  backoffJitter: { min: 0, max: 1 },
} as const;

/** Characters of an error response kept in `SseHttpError.body`; the rest is never read. */
export const HTTP_ERROR_BODY_LIMIT = 1_024;

/** Characters of an event's data quoted in an `SseParseError`. */
export const PARSE_ERROR_DATA_LIMIT = 200;
