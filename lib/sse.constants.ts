/** Metadata key under which `@SseChannel()` stores its route options. */
export const SSE_CHANNEL_METADATA = 'sse:channel';

/** Injection token of the resolved (defaults merged, validated) module options. */
export const SSE_OPTIONS = 'sse:options';

/**
 * The metadata key NestJS stores a controller's path under (`PATH_METADATA` in
 * `@nestjs/common/constants`, unchanged since NestJS 5). It is not exported from the package
 * root, and deep imports break across majors, so the value is mirrored here.
 */
export const NEST_PATH_METADATA = 'path';

/** Defaults, in one place; `resolveSseOptions()` is the only reader. */
export const SSE_DEFAULTS = {
  heartbeatIntervalMs: 15_000,
  retryMs: 3_000,
} as const;

/** Bounds of the numeric options, used by validation and by its error messages. */
export const SSE_LIMITS = {
  heartbeatIntervalMs: { min: 10, max: 3_600_000 },
  retryMs: { min: 0, max: 3_600_000 },
} as const;

/** Longest channel name accepted; names are also Redis keys and registry labels. */
export const MAX_CHANNEL_NAME_LENGTH = 200;
