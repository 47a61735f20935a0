import { IsInt, IsOptional, Max, Min, type ValidationArguments } from 'class-validator';
import { SSE_LIMITS } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';

/** An integer option in `[min, max]`, with one message naming the option and the range. */
function IntegerInRange(min: number, max: number): PropertyDecorator {
  const message = (args: ValidationArguments) =>
    SseMessages.optionOutOfRange(args.property, `an integer from ${min} to ${max}`, args.value);
  return (target, key) => {
    IsInt({ message })(target, key);
    Min(min, { message })(target, key);
    Max(max, { message })(target, key);
  };
}

/**
 * Options of `SseModule.forRoot()` / `forRootAsync()`. Every field is optional; defaults live in
 * `SSE_DEFAULTS`. The object is validated when the module initialises, and an invalid value
 * fails the application's boot with a message naming the option and its allowed range.
 *
 * @example
 * SseModule.forRoot({ heartbeatIntervalMs: 15_000, retryMs: 3_000 })
 */
export class SseModuleOptions {
  /**
   * No stream stays silent longer than this: a comment line is written to idle connections so
   * proxies keep them open and dead clients are detected. One timer serves all connections.
   * Default 15000.
   */
  @IsOptional()
  @IntegerInRange(SSE_LIMITS.heartbeatIntervalMs.min, SSE_LIMITS.heartbeatIntervalMs.max)
  heartbeatIntervalMs?: number;

  /** Reconnection delay sent to clients as `retry:` when a stream opens. Default 3000. */
  @IsOptional()
  @IntegerInRange(SSE_LIMITS.retryMs.min, SSE_LIMITS.retryMs.max)
  retryMs?: number;
}

/** The options after defaults are merged: what the services read. */
export type ResolvedSseOptions = Required<SseModuleOptions>;
