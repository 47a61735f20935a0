/** Bounds of the numeric options, for validation and its messages. */
export const REDIS_LIMITS = {
  presenceIntervalMs: { min: 500, max: 300_000 },
  streamTtlMs: { min: 1_000, max: 30 * 86_400_000 },
  connectTimeoutMs: { min: 100, max: 120_000 },
  listTimeoutMs: { min: 50, max: 60_000 },
  catchUpBufferBytes: { min: 0, max: 1024 ** 3 },
} as const;

/** Defaults of `RedisBackendOptions`, in one place; `resolveRedisBackendOptions()` reads them. */
export const REDIS_DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: 'sse:',
  presenceIntervalMs: 5_000,
  streamTtlMs: 86_400_000,
  connectTimeoutMs: 10_000,
  listTimeoutMs: 1_000,
  catchUpBufferBytes: 8 * 1024 * 1024,
} as const;

/** How the option messages name the object whose options they check. */
export const REDIS_OPTIONS_OWNER = 'a RedisBackend';
