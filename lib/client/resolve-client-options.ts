import { SSE_CLIENT_DEFAULTS, SSE_CLIENT_LIMITS } from './client.constants.js';
import { SseClientMessages } from './client.messages.js';
import type {
  SseClientOptions,
  SseFetch,
  SseRequestBody,
} from './interfaces/sse-client-options.interface.js';
import type { SseReset, SseStreamState } from './interfaces/sse-message.interface.js';

/** Backoff with every field set; `false` when the delay does not grow. */
export interface ResolvedBackoff {
  readonly factor: number;
  readonly maxMs: number;
  readonly jitter: number;
}

/** The options after defaults are merged and values checked: what the stream reads. */
export interface ResolvedClientOptions {
  readonly method: string;
  readonly headers: SseClientOptions['headers'];
  readonly body: SseRequestBody | (() => SseRequestBody | Promise<SseRequestBody>) | undefined;
  readonly credentials: 'omit' | 'same-origin' | 'include' | undefined;
  readonly lastEventId: string | undefined;
  readonly retryMs: number;
  readonly maxRetries: number;
  readonly backoff: ResolvedBackoff | false;
  readonly heartbeatTimeoutMs: number;
  readonly dedupeWindow: number;
  readonly bufferSize: number;
  readonly maxEventSize: number;
  readonly closeOnPageHide: boolean;
  readonly signal: AbortSignal | undefined;
  readonly onStateChange: ((state: SseStreamState, error?: unknown) => void) | undefined;
  readonly onReset: ((reset: SseReset) => void | Promise<void>) | undefined;
  readonly fetch: SseFetch;
}

/**
 * Merges the defaults and checks every value, so a mistake fails `connect()` at once with a
 * message naming the option instead of surfacing later as odd reconnect behaviour.
 */
export function resolveClientOptions(options: SseClientOptions): ResolvedClientOptions {
  const defaults = SSE_CLIENT_DEFAULTS;
  const limits = SSE_CLIENT_LIMITS;
  const method = (options.method ?? (options.body === undefined ? 'GET' : 'POST')).toUpperCase();
  if (options.body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new TypeError(SseClientMessages.bodyNeedsMethod(method));
  }
  const { lastEventId } = options;
  if (
    lastEventId !== undefined &&
    (typeof lastEventId !== 'string' || /[\r\n\0]/.test(lastEventId))
  ) {
    throw new TypeError(
      SseClientMessages.optionWrongType(
        'lastEventId',
        'a string without CR, LF or NUL',
        lastEventId,
      ),
    );
  }
  // Static headers are checked now; a function's result is checked before each attempt.
  if (options.headers !== undefined && typeof options.headers !== 'function') {
    new Headers(options.headers as ConstructorParameters<typeof Headers>[0]);
  }
  const fetchImpl = options.fetch ?? globalFetch();
  const backoff = options.backoff === false ? false : { ...defaults.backoff, ...options.backoff };
  if (backoff) {
    number('backoff.factor', backoff.factor, limits.backoffFactor, false);
    integer('backoff.maxMs', backoff.maxMs, limits.backoffMaxMs);
    number('backoff.jitter', backoff.jitter, limits.backoffJitter, false);
  }
  return {
    method,
    headers: options.headers,
    body: options.body,
    credentials: options.credentials,
    lastEventId: options.lastEventId,
    retryMs: integer('retryMs', options.retryMs ?? defaults.retryMs, limits.retryMs),
    maxRetries: integerOrInfinity(
      'maxRetries',
      options.maxRetries ?? defaults.maxRetries,
      limits.maxRetries.min,
    ),
    backoff,
    heartbeatTimeoutMs: integer(
      'heartbeatTimeoutMs',
      options.heartbeatTimeoutMs ?? defaults.heartbeatTimeoutMs,
      limits.heartbeatTimeoutMs,
    ),
    dedupeWindow: integer(
      'dedupeWindow',
      options.dedupeWindow ?? defaults.dedupeWindow,
      limits.dedupeWindow,
    ),
    bufferSize: integer('bufferSize', options.bufferSize ?? defaults.bufferSize, limits.bufferSize),
    maxEventSize: integer(
      'maxEventSize',
      options.maxEventSize ?? defaults.maxEventSize,
      limits.maxEventSize,
    ),
    closeOnPageHide: options.closeOnPageHide ?? defaults.closeOnPageHide,
    signal: options.signal,
    onStateChange: callback('onStateChange', options.onStateChange),
    onReset: callback('onReset', options.onReset),
    fetch: fetchImpl,
  };
}

interface Range {
  readonly min: number;
  readonly max?: number;
}

function number(option: string, value: unknown, range: Range, mustBeInteger: boolean): number {
  const { min, max = Number.POSITIVE_INFINITY } = range;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!mustBeInteger || Number.isInteger(value)) &&
    value >= min &&
    value <= max;
  if (!ok) {
    const kind = mustBeInteger ? 'an integer' : 'a number';
    throw new RangeError(
      SseClientMessages.optionOutOfRange(option, `${kind} from ${min} to ${max}`, value),
    );
  }
  return value;
}

function integer(option: string, value: unknown, range: Range): number {
  return number(option, value, range, true);
}

function integerOrInfinity(option: string, value: unknown, min: number): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value;
  throw new RangeError(
    SseClientMessages.optionOutOfRange(option, `an integer >= ${min} or Infinity`, value),
  );
}

function callback<T>(option: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function')
    throw new TypeError(SseClientMessages.optionWrongType(option, 'a function', value));
  return value;
}

function globalFetch(): SseFetch {
  const fetchImpl = (globalThis as { fetch?: SseFetch }).fetch;
  if (typeof fetchImpl !== 'function') {
    throw new TypeError(SseClientMessages.noFetch());
  }
  // Called unbound, some browsers throw "Illegal invocation".
  return (url, init) => fetchImpl(url, init);
}
