/** Where a stream is in its life. */
export type SseConnectionState = 'connecting' | 'open' | 'closing' | 'closed';

/**
 * Why a stream ended: `client` went away, the handler's stream `complete`d or `error`ed, the
 * server `disconnect`ed it, it was a `slow-consumer`, or the application is in `shutdown`.
 */
export type SseCloseReason =
  'client' | 'complete' | 'error' | 'disconnect' | 'slow-consumer' | 'shutdown';

/** A snapshot of one connection, as `ConnectionRegistry` reports it. */
export interface SseConnectionInfo {
  readonly id: string;
  readonly channels: readonly string[];
  readonly remoteAddress: string | undefined;
  readonly userAgent: string | undefined;
  readonly state: SseConnectionState;
  readonly connectedAt: Date;
  /** When the last event (not heartbeat) was written; undefined before the first. */
  readonly lastEventAt: Date | undefined;
  readonly eventsSent: number;
  /** Bytes written to the socket, heartbeats and preamble included. */
  readonly bytesSent: number;
  /** Bytes written but not yet accepted by the client's TCP window. */
  readonly bufferedBytes: number;
}
