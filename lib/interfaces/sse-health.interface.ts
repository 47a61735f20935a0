/**
 * What a backend says about itself when asked (`SseBackend.health()`): whether it can serve
 * now, and what explains it. A snapshot of state the backend already holds: asking costs no
 * round trip, so health checks and metrics may ask as often as they like.
 */
export interface SseBackendHealth {
  /**
   * Whether publishes, targeted sends and replays can be carried out, and events published
   * anywhere reach this process's streams. A backend without `health()` counts as available.
   */
  readonly available: boolean;
  /** Why it is not available, for people (health details, logs); absent while available. */
  readonly reason?: string;
  /** The last error its transport reported, kept after it recovered; absent if none yet. */
  readonly lastError?: string;
  /** For a backend that catches up after losing its feed of events (`RedisBackend`). */
  readonly catchUp?: SseCatchUpHealth;
}

/**
 * How a backend that lost its feed of events caught up. The counters start at 0 when the
 * backend attaches and only grow, so metrics can expose them as counters.
 */
export interface SseCatchUpHealth {
  /** A catch-up is under way: events missed meanwhile are being delivered. */
  readonly inProgress: boolean;
  /** Catch-ups started. */
  readonly started: number;
  /**
   * Channels whose local streams a catch-up ended with the disconnect reason `resync`, because
   * it could not bring them every event in order (their clients replay with `Last-Event-ID`).
   */
  readonly resyncs: number;
}

/** The state of one ioredis connection, as `RedisBackendHealth` reports it. */
export type RedisConnectionStatus = 'ready' | 'connecting' | 'reconnecting' | 'closed';

/**
 * `RedisBackend.health()`: available while both connections are ready and Redis has confirmed
 * its subscriptions (the bus, its own channel, the channels it serves).
 */
export interface RedisBackendHealth extends SseBackendHealth {
  /** The connection that runs publishes, replays and history reads (on a cluster, to all nodes). */
  readonly commands: RedisConnectionStatus;
  /**
   * The connections that receive what other instances publish: one on a standalone Redis; on a
   * cluster, the bus's and one per master, of which this is the worst state.
   */
  readonly subscriber: RedisConnectionStatus;
  /** Redis confirmed the subscription since the subscriber last connected. */
  readonly subscribed: boolean;
  readonly catchUp: SseCatchUpHealth;
}

/**
 * `ConnectionRegistry.health()`: whether this process's SSE module can serve now, as figures a
 * health check or a metrics exporter reads.
 */
export interface SseHealth {
  readonly backend: SseBackendHealth;
  /** Live streams (`connecting` and `open`): the count `maxConnections` applies to. */
  readonly connections: number;
  /** The `maxConnections` option; undefined when there is no limit. */
  readonly maxConnections: number | undefined;
  /** `app.close()` has begun: new streams get 503 and new publishes are refused. */
  readonly stopping: boolean;
}

/** Options of `SseHealthIndicator.isHealthy()` (`nestjs-sse-channels/terminus`). */
export interface SseHealthCheckOptions {
  /**
   * Down once live streams reach this share of `maxConnections` (more than 0, at most 1;
   * default 1: down when full, as new streams get 503). Without `maxConnections`, no effect.
   */
  readonly connectionsThreshold?: number;
}
