import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { SseBackend } from '../interfaces/sse-backend.interface.js';
import { ConnectionPool } from '../connection/connection-pool.js';
import { SseLifecycle } from '../lifecycle/sse-lifecycle.service.js';
import type {
  ConnectionFilter,
  SseCloseReason,
  SseClusterStats,
  SseConnectionEvent,
  SseConnectionInfo,
  SseRegistryStats,
} from '../interfaces/sse-connection-info.interface.js';
import type { SseHealth } from '../interfaces/sse-health.interface.js';
import type { ResolvedSseOptions } from '../interfaces/sse-options.interface.js';
import { SSE_BACKEND, SSE_OPTIONS } from '../sse.constants.js';

/**
 * Who is connected, to what, since when, and how much they received; and the means to
 * disconnect them. `get`, `list`, `count`, `stats` and `disconnect` cover this process; the
 * `cluster*` methods cover every instance of a distributed backend.
 *
 * @example
 * constructor(private readonly registry: ConnectionRegistry) {}
 * const viewers = this.registry.count({ channel: 'rooms/42' });
 * this.registry.events$.subscribe((e) => e.type === 'disconnected' && log(e.reason));
 */
@Injectable()
export class ConnectionRegistry {
  constructor(
    private readonly pool: ConnectionPool,
    @Inject(SSE_BACKEND) private readonly backend: SseBackend,
    private readonly lifecycle: SseLifecycle,
    @Inject(SSE_OPTIONS) private readonly options: ResolvedSseOptions,
  ) {}

  /** `connected` when a stream opens, `disconnected` (with the reason) when it is gone. */
  get events$(): Observable<SseConnectionEvent> {
    return this.pool.events$.asObservable();
  }

  /** A snapshot of the connection with this id, if it is in this process. */
  get(id: string): SseConnectionInfo | undefined {
    return this.pool.get(id)?.info();
  }

  /**
   * Snapshots of the connections matching `filter`; without a `state`, the live ones
   * (`connecting`, `open`). Streams the server ended that still flush to a slow client are
   * listed with `{ state: 'closing' }`.
   */
  list(filter: ConnectionFilter = {}): SseConnectionInfo[] {
    return this.pool.matching(filter).map((connection) => connection.info());
  }

  /**
   * How many connections `list(filter)` would return. `count()` is `stats().connections`, and
   * `count({ channel })` / `count({ userId })` are that channel's or user's figure in `stats()`.
   */
  count(filter: ConnectionFilter = {}): number {
    if (filter.channel === undefined && filter.userId === undefined && filter.state === undefined) {
      return this.pool.activeCount;
    }
    return this.pool.matching(filter).length;
  }

  /**
   * Ends the connection with this id, or every connection matching the filter, gracefully
   * (what is queued is flushed); returns how many. Clients reconnect after their retry delay
   * unless a guard now refuses them.
   */
  disconnect(target: string | ConnectionFilter, reason: SseCloseReason = 'disconnect'): number {
    const found = typeof target === 'string' ? this.pool.get(target) : undefined;
    const connections =
      typeof target === 'string' ? (found ? [found] : []) : this.pool.matching(target);
    for (const connection of connections) connection.end(reason);
    return connections.length;
  }

  /** Totals of this process: connections now, per channel and user, and lifetime counters. */
  stats(): SseRegistryStats {
    const totals = { ...this.pool.retiredTotals };
    for (const connection of this.pool.values()) {
      totals.eventsSent += connection.eventsSent;
      totals.bytesSent += connection.bytesSent;
      totals.droppedEvents += connection.droppedEvents;
    }
    return { ...this.pool.snapshot(), ...totals, disconnects: { ...this.pool.disconnects } };
  }

  /**
   * Whether this process can serve streams now: the backend's own report (a backend without
   * `health()` counts as available), live streams against `maxConnections`, and whether
   * shutdown has begun. Cheap (no I/O), for health checks and metrics;
   * `nestjs-sse-channels/terminus` turns it into a health indicator.
   *
   * @example
   * const { backend, connections, maxConnections, stopping } = this.registry.health();
   * const ready = backend.available && !stopping && connections < (maxConnections ?? Infinity);
   */
  health(): SseHealth {
    return {
      backend: this.backend.health?.() ?? { available: true },
      connections: this.pool.activeCount,
      maxConnections: this.options.maxConnections,
      stopping: this.lifecycle.isStopping,
    };
  }

  /**
   * Connections now over every live instance (instances report periodically with a
   * time-to-live, so a crashed one drops out). With the in-memory backend: this process.
   */
  clusterStats(): Promise<SseClusterStats> {
    return this.backend.clusterStats();
  }

  /** Connections of every live instance matching `filter`, each with its `instance`. */
  clusterList(filter: ConnectionFilter = {}): Promise<SseConnectionInfo[]> {
    return this.backend.clusterList(filter);
  }
}
