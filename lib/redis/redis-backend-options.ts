import {
  ArrayNotEmpty,
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  ValidateIf,
  ValidateBy,
  ValidateNested,
  validateSync,
} from 'class-validator';
import { IntegerIn, validationMessages } from '../options/option-validators.js';
import { REDIS_DEFAULTS, REDIS_LIMITS, REDIS_OPTIONS_OWNER } from './redis.constants.js';
import { RedisMessages } from './redis.messages.js';

/**
 * A Redis Cluster to run on, in place of `url`: ioredis's `Cluster` finds the other nodes from
 * any of `nodes`.
 *
 * @example
 * new RedisBackend({ cluster: { nodes: ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379'] } })
 */
export class RedisClusterOptions {
  /** Some of the cluster's nodes, `redis://host:port` (credentials go in `redis`). */
  @IsArray({ message: RedisMessages.clusterNodes() })
  @ArrayNotEmpty({ message: RedisMessages.clusterNodes() })
  @IsString({ each: true, message: RedisMessages.clusterNodes() })
  nodes!: string[];

  /** Further options of ioredis's `Cluster` (e.g. `natMap`, `slotsRefreshInterval`). */
  @IsOptional()
  @IsObject({ message: RedisMessages.clusterOptions() })
  options?: Record<string, unknown>;
}

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
  @IsString({ message: RedisMessages.url() })
  url?: string;

  /** A Redis Cluster instead of one Redis (`url`): see `RedisClusterOptions`. */
  @IsOptional()
  @IsObject({ message: RedisMessages.cluster() })
  @ValidateBy({
    name: 'withoutUrl',
    validator: {
      validate: (_, args) => (args?.object as RedisBackendOptions).url === undefined,
      defaultMessage: () => RedisMessages.urlWithCluster(),
    },
  })
  @ValidateNested()
  cluster?: RedisClusterOptions;

  /** TLS options passed to Node's `tls.connect()` (or `true`); `rediss://` URLs enable TLS too. */
  @IsOptional()
  @ValidateIf((options: RedisBackendOptions) => typeof options.tls !== 'boolean')
  @IsObject({ message: RedisMessages.tls() })
  tls?: boolean | Record<string, unknown>;

  /**
   * Further ioredis options (e.g. `password`, `db`); where the URL sets the same, the URL wins.
   * On a cluster, the options of each node's connection.
   */
  @IsOptional()
  @IsObject({ message: RedisMessages.redis() })
  redis?: Record<string, unknown>;

  /**
   * Prefix of every key and pub/sub channel, so several apps can share one Redis. Without `{`
   * or `}`: each key's hash tag comes after it. Default `sse:`.
   */
  @IsOptional()
  @IsString({ message: RedisMessages.keyPrefix() })
  @Matches(/^[^{}]*$/, { message: RedisMessages.keyPrefixBraces() })
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

  /** How long `clusterList()` waits for other instances to answer. Default 1000. */
  @IsOptional()
  @IntegerIn(REDIS_LIMITS.listTimeoutMs)
  listTimeoutMs?: number;

  /**
   * Bytes of messages an instance holds while it catches up after a lost subscription (they are
   * delivered after the missed events). Past it, the local streams of the channels whose
   * messages no longer fit are ended, and their clients replay from Redis when they reconnect
   * with `Last-Event-ID`. Default 8388608 (8 MiB).
   */
  @IsOptional()
  @IntegerIn(REDIS_LIMITS.catchUpBufferBytes)
  catchUpBufferBytes?: number;
}

export interface ResolvedRedisBackendOptions {
  readonly url: string;
  /** Set: a Redis Cluster, and `url` is not used. */
  readonly cluster:
    { readonly nodes: readonly string[]; readonly options: Record<string, unknown> } | undefined;
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
  // Validated as a class of its own (class-validator checks nested instances, not plain objects).
  if (isPlainObject(input.cluster))
    options.cluster = Object.assign(new RedisClusterOptions(), input.cluster);
  const errors = validateSync(options, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0)
    throw new Error(RedisMessages.invalidOptions(validationMessages(errors, REDIS_OPTIONS_OWNER)));
  return {
    url: options.url ?? REDIS_DEFAULTS.url,
    cluster: options.cluster && {
      nodes: [...options.cluster.nodes],
      options: options.cluster.options ?? {},
    },
    tls: options.tls,
    redis: options.redis ?? {},
    keyPrefix: options.keyPrefix ?? REDIS_DEFAULTS.keyPrefix,
    presenceIntervalMs: options.presenceIntervalMs ?? REDIS_DEFAULTS.presenceIntervalMs,
    streamTtlMs: options.streamTtlMs ?? REDIS_DEFAULTS.streamTtlMs,
    connectTimeoutMs: options.connectTimeoutMs ?? REDIS_DEFAULTS.connectTimeoutMs,
    listTimeoutMs: options.listTimeoutMs ?? REDIS_DEFAULTS.listTimeoutMs,
    catchUpBufferBytes: options.catchUpBufferBytes ?? REDIS_DEFAULTS.catchUpBufferBytes,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
