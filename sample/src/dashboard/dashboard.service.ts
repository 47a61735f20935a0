import { Injectable } from '@nestjs/common';
import { ConnectionRegistry } from 'nestjs-sse-channels';
import { concatMap, share, timer, type Observable } from 'rxjs';
import { SampleTelemetry } from '../observability/sample-telemetry.js';
import { connectionRow, type DashboardSnapshot } from './dashboard-snapshot.js';
import { metricRows } from './metric-rows.js';

export const SNAPSHOT_INTERVAL_MS = 1_000;
const TABLE_ROWS = 25;

/**
 * Registry snapshots, once a second. One timer serves every open dashboard (`share()`), so
 * events/s is measured once per interval and all pages show the same figure.
 */
@Injectable()
export class DashboardService {
  readonly snapshots$: Observable<DashboardSnapshot>;
  private lastEvents: { at: number; count: number } | undefined;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly telemetry: SampleTelemetry,
  ) {
    this.snapshots$ = timer(0, SNAPSHOT_INTERVAL_MS).pipe(
      concatMap(() => this.snapshot()),
      share(),
    );
  }

  private async snapshot(): Promise<DashboardSnapshot> {
    const local = this.registry.stats();
    const cluster = await this.registry.clusterStats();
    return {
      at: new Date().toISOString(),
      instances: cluster.instances,
      connections: cluster.connections,
      channels: cluster.channels,
      eventsPerSecond: this.eventsPerSecond(local.eventsSent),
      droppedEvents: local.droppedEvents,
      disconnects: local.disconnects,
      recent: this.registry.list().slice(0, TABLE_ROWS).map(connectionRow),
      metrics: await metricRows(this.telemetry.exporter),
    };
  }

  private eventsPerSecond(count: number): number {
    const at = Date.now();
    const last = this.lastEvents;
    this.lastEvents = { at, count };
    if (!last || at === last.at) return 0;
    return Math.round(((count - last.count) * 1000) / (at - last.at));
  }
}
