import { IsOptional, IsString, ValidateNested } from 'class-validator';
import type { SseBackend } from '../interfaces/sse-backend.interface.js';
import type { SseRequest } from '../interfaces/sse-channel-options.interface.js';
import type { SseEvent } from '../interfaces/sse-event.interface.js';
import type {
  SlowConsumerPolicy,
  SseChannelRule,
  SseMeterProvider,
} from '../interfaces/sse-options.interface.js';
import { SSE_LIMITS } from '../sse.constants.js';
import { IsEventContractOption } from '../contracts/event-contract-option.js';
import type { SseEventContract } from '../protocol/event-contract.js';
import {
  IntegerIn,
  IsBackendOption,
  IsBooleanOption,
  IsFunctionOption,
  IsMeterProviderOption,
  OneOf,
} from './option-validators.js';
import { SseMessages } from '../sse.messages.js';

/** Bounds of the per-channel event history kept for `Last-Event-ID` replay. */
export class HistoryOptions {
  /** Events kept per channel (a ring); 0 keeps none and disables replay. Default 100. */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.historySize)
  size?: number;

  /** Events older than this are dropped from history, whatever the count. Default: no age limit. */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.historyMaxAgeMs)
  maxAgeMs?: number;

  /** Channels with history; the least recently published one is forgotten first. Default 1000. */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.historyMaxChannels)
  maxChannels?: number;
}

/** How long, and for how many channels, `finish()` makes reconnects answer 204. */
export class FinishedOptions {
  /** Default 3600000 (one hour). */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.finishedTtlMs)
  ttlMs?: number;

  /** Default 10000; the oldest finished channel is forgotten first. */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.finishedMaxChannels)
  maxChannels?: number;
}

/**
 * OpenTelemetry metrics. The module records them through `@opentelemetry/api` when it is
 * installed (with no SDK registered, its no-op meter costs next to nothing), or through
 * `meterProvider`; without either, nothing is loaded or recorded.
 */
export class SseMetricsOptions {
  /** Default true. `false` records nothing, even with an SDK registered. */
  @IsOptional()
  @IsBooleanOption()
  enabled?: boolean;

  /**
   * Where to record. Default: the global one (`metrics.setGlobalMeterProvider()`, as the Node
   * SDK sets it), read when the module starts, so it must be registered before that.
   */
  @IsOptional()
  @IsMeterProviderOption()
  meterProvider?: SseMeterProvider;

  /**
   * Opt-in `sse.channel` attribute for the publish metrics and open streams: maps a channel to
   * a label from a small fixed set (`'rooms/42'` to `'rooms'`), or undefined for none. Channel
   * names are never attributes otherwise: unbounded values would grow every series set.
   */
  @IsOptional()
  @IsFunctionOption('a function (channel) => string | undefined')
  channelAttribute?: (channel: string) => string | undefined;
}

/** Per-channel rules, matched by pattern (`'rooms/:room'`, `'jobs/*'`); the first match applies. */
export class SseChannelDeclaration implements SseChannelRule {
  /** `:name` matches one path segment, a trailing `*` matches the rest. */
  @IsString({ message: SseMessages.channelPatternNotString() })
  pattern!: string;

  /**
   * A class-validator DTO every published payload must satisfy; a publish that fails is
   * rejected with the validation errors and sends nothing. Needs `class-transformer`.
   */
  @IsOptional()
  @IsFunctionOption('a class decorated with class-validator')
  payload?: new (...args: never[]) => object;

  /**
   * The channel's events, declared with `defineSseEvents()`: a publish of an event the contract
   * does not declare is refused (`SseEventError`), and a payload declared as a class is validated
   * against it, by event name. Give `payload` or `events`, not both.
   */
  @IsOptional()
  @IsEventContractOption()
  events?: SseEventContract;

  /** Overrides `history.size` for matching channels. */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.historySize)
  historySize?: number;
}

/**
 * Options of `SseModule.forRoot()` / `forRootAsync()`. Every field is optional; defaults live in
 * `SSE_DEFAULTS`. The object is validated when the module initialises, and an invalid value
 * fails the application's boot with a message naming the option and its allowed range.
 *
 * @example
 * SseModule.forRoot({ heartbeatIntervalMs: 15_000, maxConnectionsPerUser: 5 })
 */
export class SseModuleOptions {
  /**
   * Where events travel and history lives. Default: in this process (`MemoryBackend`). For
   * several instances: `new RedisBackend({ url })` from `nestjs-sse-channels/redis`.
   */
  @IsOptional()
  @IsBackendOption()
  backend?: SseBackend;

  /**
   * No stream stays silent longer than this: a comment line is written to idle connections so
   * proxies keep them open and dead clients are detected. One timer serves all connections.
   * Default 15000.
   */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.heartbeatIntervalMs)
  heartbeatIntervalMs?: number;

  /** Reconnection delay sent to clients as `retry:` when a stream opens. Default 3000. */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.retryMs)
  retryMs?: number;

  /**
   * The user a connection belongs to, for `sendToUser()`, per-user limits and stats.
   * Default: `request.user.id ?? request.user.sub` (as set by Passport-style guards).
   */
  @IsOptional()
  @IsFunctionOption('a function (request) => string | undefined')
  userId?: (request: SseRequest) => string | number | undefined;

  /** Streams this process serves at once; more are answered 503. Default: no limit. */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.maxConnections)
  maxConnections?: number;

  /** Streams one user may hold at once; more are answered 429. Default: no limit. */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.maxConnectionsPerUser)
  maxConnectionsPerUser?: number;

  /**
   * Streams are ended after this long; clients reconnect with `Last-Event-ID` and miss nothing.
   * Spreads load after deploys and re-checks auth (token expiry). Default: no limit.
   */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.maxDurationMs)
  maxDurationMs?: number;

  /** Bytes that may wait for a slow client (socket buffer + queue). Default 1048576 (1 MiB). */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.maxBufferedBytes)
  maxBufferedBytes?: number;

  /**
   * What happens past `maxBufferedBytes`: `disconnect` the client (default; it reconnects and
   * replays), `drop-oldest` queued events, or `conflate` (keep only the latest queued event per
   * key, by default per channel and event type).
   */
  @IsOptional()
  @OneOf(['disconnect', 'drop-oldest', 'conflate'])
  slowConsumer?: SlowConsumerPolicy;

  @IsOptional()
  @ValidateNested()
  history?: HistoryOptions;

  /** Events from history sent on a first connect (no `Last-Event-ID`). Default 0. */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.replayOnConnect)
  replayOnConnect?: number;

  @IsOptional()
  @ValidateNested({ each: true })
  channels?: SseChannelDeclaration[];

  /** Sent to every open stream when the application shuts down; `null` sends none. */
  @IsOptional()
  shutdownEvent?: SseEvent | null;

  /**
   * How long shutdown may take: publishes under way finish, then streams flush; what is still
   * pending after this is rejected or dropped. Default 5000.
   */
  @IsOptional()
  @IntegerIn(SSE_LIMITS.shutdownTimeoutMs)
  shutdownTimeoutMs?: number;

  @IsOptional()
  @ValidateNested()
  finished?: FinishedOptions;

  @IsOptional()
  @ValidateNested()
  metrics?: SseMetricsOptions;
}
