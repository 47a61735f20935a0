/** Metadata key under which `@SseChannel()` stores its route options. */
export const SSE_CHANNEL_METADATA = 'sse:channel';

/** Metadata key recording the parameters `@SseConnectionId()` / `@SseAbortSignal()` mark. */
export const SSE_HANDLER_PARAMS_METADATA = 'sse:handler-params';

/** Injection token of the resolved (defaults merged, validated) module options. */
export const SSE_OPTIONS = 'sse:options';

/** Injection token of the backend (in-memory unless `backend` is given). */
export const SSE_BACKEND = 'sse:backend';

/**
 * Injection token of the OpenTelemetry meter the module records with, or undefined: metrics
 * are off, or `@opentelemetry/api` is not installed and no `metrics.meterProvider` was given.
 */
export const SSE_METER = 'sse:meter';

/** The instrumentation scope of the module's metrics (with the package's version). */
export const SSE_METER_NAME = 'nestjs-sse-channels';

/**
 * The metadata key NestJS stores a controller's path under (`PATH_METADATA` in
 * `@nestjs/common/constants`, unchanged since NestJS 5). It is not exported from the package
 * root, and deep imports break across majors, so the value is mirrored here.
 */
export const NEST_PATH_METADATA = 'path';

/** Defaults, in one place: of the module options (merged by `resolveSseOptions()`) and the rest. */
export const SSE_DEFAULTS = {
  heartbeatIntervalMs: 15_000,
  retryMs: 3_000,
  maxBufferedBytes: 1024 * 1024,
  slowConsumer: 'disconnect',
  replayOnConnect: 0,
  shutdownEvent: { event: 'shutdown', data: 'server shutting down' },
  shutdownTimeoutMs: 5_000,
  history: { size: 100, maxChannels: 1_000 },
  finished: { ttlMs: 3_600_000, maxChannels: 10_000 },
  /** Not module options, but defaults all the same: of `history()`, of `forRoot()`'s extras. */
  historyLimit: 100,
  isGlobal: true,
  adminStatsIntervalMs: 1_000,
  metrics: { enabled: true },
} as const;

/** Bounds of the numeric options, used by validation and by its error messages. */
export const SSE_LIMITS = {
  heartbeatIntervalMs: { min: 10, max: 3_600_000 },
  retryMs: { min: 0, max: 3_600_000 },
  maxConnections: { min: 1, max: 10_000_000 },
  maxConnectionsPerUser: { min: 1, max: 100_000 },
  maxDurationMs: { min: 1_000, max: 7 * 24 * 3_600_000 },
  maxBufferedBytes: { min: 1024, max: 1024 ** 3 },
  replayOnConnect: { min: 0, max: 100_000 },
  shutdownTimeoutMs: { min: 0, max: 600_000 },
  historySize: { min: 0, max: 100_000 },
  historyMaxAgeMs: { min: 1_000, max: 30 * 24 * 3_600_000 },
  historyMaxChannels: { min: 1, max: 1_000_000 },
  finishedTtlMs: { min: 1_000, max: 30 * 24 * 3_600_000 },
  finishedMaxChannels: { min: 1, max: 1_000_000 },
  adminStatsIntervalMs: { min: 100, max: 3_600_000 },
} as const;

/** Longest channel name accepted; names are also Redis keys and registry labels. */
export const MAX_CHANNEL_NAME_LENGTH = 200;

/**
 * Longest event id an application may choose (for a targeted or handler event), in UTF-16
 * code units: longer ones are refused, and a longer `Last-Event-ID` that is not a stream's own
 * id is ignored (never echoed or logged).
 */
export const MAX_EVENT_ID_LENGTH = 128;
