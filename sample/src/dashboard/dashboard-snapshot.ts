import type { SseConnectionInfo } from 'nestjs-sse-channels';
import type { MetricRow } from './metric-rows.js';

/** One connection as the dashboard's table shows it. */
export interface ConnectionRow {
  readonly id: string;
  readonly channels: readonly string[];
  readonly userId: string | undefined;
  readonly connectedAt: string;
  readonly eventsSent: number;
  readonly bytesSent: number;
}

/** What the dashboard page draws, once a second. */
export interface DashboardSnapshot {
  readonly at: string;
  /** Instances reporting (1 on the in-memory backend). */
  readonly instances: number;
  /** Over every instance. */
  readonly connections: number;
  readonly channels: Readonly<Record<string, number>>;
  /** Events written by this instance per second, over the last interval. */
  readonly eventsPerSecond: number;
  /** Events dropped by the slow-consumer policy, since this instance started. */
  readonly droppedEvents: number;
  readonly disconnects: Readonly<Record<string, number>>;
  /** This instance's longest-lived connections. */
  readonly recent: readonly ConnectionRow[];
  /** This instance's OpenTelemetry metrics, as `GET /metrics` exposes them. */
  readonly metrics: readonly MetricRow[];
}

export function connectionRow(info: SseConnectionInfo): ConnectionRow {
  return {
    id: info.id,
    channels: info.channels,
    userId: info.userId,
    connectedAt: info.connectedAt.toISOString(),
    eventsSent: info.eventsSent,
    bytesSent: info.bytesSent,
  };
}
