/**
 * Where a stream is in its life: `connecting` (admitted, handler running), `open` (streaming),
 * `closing` (ended by the server, flushing what is left), `closed`.
 */
export type SseConnectionState = 'connecting' | 'open' | 'closing' | 'closed';

/**
 * Why a stream ended: the `client` went away; the handler's stream `complete`d or `error`ed;
 * the app `disconnect`ed it; it was a `slow-consumer`; it reached `max-duration`; its channel was
 * `finished`; the backend could not bring it every event in order and ended it so that the
 * client reconnects with `Last-Event-ID` to `resync` from history (the channel goes on); or the
 * application is in `shutdown`.
 */
export type SseCloseReason =
  | 'client'
  | 'complete'
  | 'error'
  | 'disconnect'
  | 'slow-consumer'
  | 'max-duration'
  | 'finished'
  | 'resync'
  | 'shutdown';

/**
 * Which connections a query considers; all given fields must match. Without `state`, the live
 * ones (`connecting`, `open`): those `stats()` counts and the limits apply to. A stream the
 * server ended that is still flushing is found with `state: 'closing'`.
 */
export interface ConnectionFilter {
  readonly channel?: string;
  readonly userId?: string;
  readonly state?: SseConnectionState;
}

/** A snapshot of one connection, as `ConnectionRegistry` reports it. */
export interface SseConnectionInfo {
  readonly id: string;
  /** The instance serving it (the prefix of its id). */
  readonly instance: string;
  readonly channels: readonly string[];
  /** From the request (by default `req.user.id ?? req.user.sub`); undefined when anonymous. */
  readonly userId: string | undefined;
  readonly remoteAddress: string | undefined;
  readonly userAgent: string | undefined;
  readonly state: SseConnectionState;
  readonly connectedAt: Date;
  /** When the last event (not heartbeat) was written; undefined before the first. */
  readonly lastEventAt: Date | undefined;
  readonly eventsSent: number;
  /** Bytes handed to the socket, heartbeats and preamble included. */
  readonly bytesSent: number;
  /** Bytes waiting: in the socket's buffer plus the connection's own queue. */
  readonly bufferedBytes: number;
  /** Events discarded by the slow-consumer policy (`drop-oldest`, `conflate`). */
  readonly droppedEvents: number;
}

/** Emitted by `ConnectionRegistry.events$`. */
export type SseConnectionEvent =
  | { readonly type: 'connected'; readonly connection: SseConnectionInfo }
  | {
      readonly type: 'disconnected';
      readonly connection: SseConnectionInfo;
      readonly reason: SseCloseReason;
    };

/** Totals from `ConnectionRegistry.stats()`; counters cover the life of the process. */
export interface SseRegistryStats {
  /** Open (and opening) connections now. */
  readonly connections: number;
  /** Connections now, per channel. */
  readonly channels: Readonly<Record<string, number>>;
  /** Connections now, per user id (anonymous connections are not listed). */
  readonly users: Readonly<Record<string, number>>;
  /** Events and bytes written since start, closed connections included. */
  readonly eventsSent: number;
  readonly bytesSent: number;
  /** Events discarded by the slow-consumer policy since start. */
  readonly droppedEvents: number;
  /** Connections closed since start, by reason. */
  readonly disconnects: Readonly<Partial<Record<SseCloseReason, number>>>;
}

/** Connection counts over every live instance, from `ConnectionRegistry.clusterStats()`. */
export interface SseClusterStats {
  /** Instances that reported within their time-to-live. */
  readonly instances: number;
  readonly connections: number;
  readonly channels: Readonly<Record<string, number>>;
  readonly users: Readonly<Record<string, number>>;
}
