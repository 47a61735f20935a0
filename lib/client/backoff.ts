import type { ResolvedBackoff } from './resolve-client-options.js';

/**
 * How long to wait before reconnection attempt number `attempt` (1 for the first attempt after
 * a connection was lost). `baseMs` is the server's `retry` or the `retryMs` option. Jitter only
 * ever adds, so the delay the server asked for is a lower bound.
 */
export function reconnectDelay(
  baseMs: number,
  attempt: number,
  backoff: ResolvedBackoff | false,
  random: () => number = Math.random,
): number {
  if (!backoff) return baseMs;
  const cap = Math.max(baseMs, backoff.maxMs);
  const grown = Math.min(baseMs * backoff.factor ** Math.max(0, attempt - 1), cap);
  return Math.round(grown * (1 + backoff.jitter * random()));
}
