import { IsObject, IsOptional, IsString, ValidateIf, validateSync } from 'class-validator';
import { IntegerIn, validationMessages } from '../options/option-validators.js';
import { SseMessages } from '../sse.messages.js';

/** Bounds of the numeric options, for validation and its messages. */
const REDIS_LIMITS = {
  presenceIntervalMs: { min: 500, max: 300_000 },
  streamTtlMs: { min: 1_000, max: 30 * 86_400_000 },
  connectTimeoutMs: { min: 100, max: 120_000 },
  listTimeoutMs: { min: 50, max: 60_000 },
  catchUpBufferBytes: { min: 0, max: 1024 ** 3 },
} as const;

/**
 * Options of `new RedisBackend(options)`, validated when it is constructed: a mistake fails the
 * boot with a message naming the option.
 *
 * @example
 * new RedisBackend({ url: process.env.REDIS_URL, keyPrefix: 'myapp:sse:' })
 */
export class RedisBackendOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. Default `redis://127.0.0.1:6379`. */
  @IsOptional()
  @IsString({ message: 'url must be a string like redis://host:6379' })
  url?: string;

  /** TLS options passed to Node's `tls.connect()` (or `true`); `rediss://` URLs enable TLS too. */
  @IsOptional()
  @ValidateIf((options: RedisBackendOptions) => typeof options.tls !== 'boolean')
  @IsObject({ message: 'tls must be true or an object of tls.connect() options' })
  tls?: boolean | Record<string, unknown>;

  /** Further ioredis options (e.g. `password`, `db`); where the URL sets the same, the URL wins. */
  @IsOptional()
  @IsObject({ message: 'redis must be an object of ioredis options' })
  redis?: Record<string, unknown>;

  /** Prefix of every key and pub/sub channel, so several apps can share one Redis. Default `sse:`. */
  @IsOptional()
  @IsString({ message: 'keyPrefix must be a string' })
  keyPrefix?: string;

  /** How often each instance reports its connection counts (for cluster stats). Default 5000. */
  @IsOptional()
  @IntegerIn(REDIS_LIMITS.presenceIntervalMs)
  presenceIntervalMs?: number;

  /** A channel's stored history expires this long after its last publish. Default 86400000 (1 day). */
  @IsOptional()
  @IntegerIn(REDIS_LIMITS.streamTtlMs)
  streamTtlMs?: number;

  /** How long the boot waits for Redis before failing. Default 10000. */
  @IsOptional()
  @IntegerIn(REDIS_LIMITS.connectTimeoutMs)
  connectTimeoutMs?: number;

  /** How long `listCluster()` waits for other instances to answer. Default 1000. */
  @IsOptional()
  @IntegerIn(REDIS_LIMITS.listTimeoutMs)
  listTimeoutMs?: number;

  /**
   * Bytes of bus messages an instance holds while it catches up after a lost subscription (they
   * are delivered after the missed events), and, apart from those, of missed events one pass of
   * the catch-up reads to deliver them in publish order across channels. Past it, the local
   * streams of the channels whose events no longer fit (for missed events: of the channels that
   * share a stream with another one) are ended, and their clients replay from Redis when they
   * reconnect with `Last-Event-ID`. Default 8388608 (8 MiB).
   */
  @IsOptional()
  @IntegerIn(REDIS_LIMITS.catchUpBufferBytes)
  catchUpBufferBytes?: number;
}

export interface ResolvedRedisBackendOptions {
  readonly url: string;
  readonly tls: boolean | Record<string, unknown> | undefined;
  readonly redis: Record<string, unknown>;
  readonly keyPrefix: string;
  readonly presenceIntervalMs: number;
  readonly streamTtlMs: number;
  readonly connectTimeoutMs: number;
  readonly listTimeoutMs: number;
  readonly catchUpBufferBytes: number;
}

export function resolveRedisBackendOptions(
  input: RedisBackendOptions = {},
): ResolvedRedisBackendOptions {
  const options = Object.assign(new RedisBackendOptions(), input);
  const errors = validateSync(options, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0)
    throw new Error(SseMessages.invalidRedisOptions(validationMessages(errors, 'a RedisBackend')));
  return {
    url: options.url ?? 'redis://127.0.0.1:6379',
    tls: options.tls,
    redis: options.redis ?? {},
    keyPrefix: options.keyPrefix ?? 'sse:',
    presenceIntervalMs: options.presenceIntervalMs ?? 5_000,
    streamTtlMs: options.streamTtlMs ?? 86_400_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    listTimeoutMs: options.listTimeoutMs ?? 1_000,
    catchUpBufferBytes: options.catchUpBufferBytes ?? 8 * 1024 * 1024,
  };
}
