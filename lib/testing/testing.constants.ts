/** Defaults of the testing helpers, in one place. */
export const SSE_TESTING_DEFAULTS = {
  /** How long `open()` and every `waitFor…()` wait before failing. */
  timeoutMs: 5_000,
  /** Messages a recorded stream keeps; older ones are dropped (and counted). */
  historyLimit: 1_000,
} as const;

/** Messages quoted in a failure message: the most recent ones. */
export const SHOWN_MESSAGES = 10;

/** Characters of each message's data quoted in a failure message. */
export const SHOWN_DATA_LENGTH = 120;
