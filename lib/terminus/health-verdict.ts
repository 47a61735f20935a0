import type { SseHealth } from '../interfaces/sse-health.interface.js';
import { TerminusMessages } from './terminus.messages.js';

/**
 * Live streams from which `connectionsThreshold` says the process is too full to take more.
 * Rounded up, so a share never asks for fewer streams than it names (0.9 of 15 is 14), and
 * cleaned of float noise first (0.7 of 10 is 7, not 8).
 */
export function connectionLimit(maxConnections: number, threshold: number): number {
  return Math.max(1, Math.ceil(Number((maxConnections * threshold).toFixed(6))));
}

/** Throws if `threshold` is not a share in (0, 1]. */
export function checkThreshold(threshold: number): void {
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1))
    throw new RangeError(TerminusMessages.thresholdInvalid(threshold));
}

/**
 * Why the process should get no new streams now, or undefined if it can take them. Shutdown
 * first (it explains the rest: the backend closes during it), then the backend, then capacity.
 */
export function healthProblem(health: SseHealth, threshold: number): string | undefined {
  if (health.stopping) return TerminusMessages.stopping();
  if (!health.backend.available) return TerminusMessages.backendUnavailable(health.backend.reason);
  const { connections, maxConnections } = health;
  if (maxConnections === undefined) return undefined;
  const limit = connectionLimit(maxConnections, threshold);
  return connections >= limit
    ? TerminusMessages.atCapacity(connections, limit, maxConnections)
    : undefined;
}
