import { Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { ChannelHub } from '../connection/channel-hub.js';
import { ConnectionPool } from '../connection/connection-pool.js';
import type { SseConnection } from '../connection/sse-connection.js';
import type {
  SseCloseReason,
  SseConnectionEvent,
  SseConnectionInfo,
  SseConnectionState,
  SseRegistryStats,
} from '../interfaces/sse-connection-info.interface.js';

/** Which connections `list()`, `count()` and `disconnect()` consider; all fields must match. */
export interface ConnectionFilter {
  readonly channel?: string;
  readonly userId?: string;
  readonly state?: SseConnectionState;
}

/**
 * Who is connected to this process, to what, since when, and how much they received; and the
 * means to disconnect them.
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
    private readonly hub: ChannelHub,
  ) {}

  /** `connected` when a stream opens, `disconnected` (with the reason) when it is gone. */
  get events$(): Observable<SseConnectionEvent> {
    return this.pool.events$.asObservable();
  }

  /** A snapshot of the connection with this id, if it is in this process. */
  get(id: string): SseConnectionInfo | undefined {
    return this.pool.get(id)?.info();
  }

  list(filter: ConnectionFilter = {}): SseConnectionInfo[] {
    return this.matching(filter).map((connection) => connection.info());
  }

  count(filter: ConnectionFilter = {}): number {
    if (filter.channel === undefined && filter.userId === undefined && filter.state === undefined) {
      return this.pool.size;
    }
    return this.matching(filter).length;
  }

  /**
   * Ends the connection with this id, or every connection matching the filter, gracefully
   * (what is queued is flushed); returns how many. Clients reconnect after their retry delay
   * unless a guard now refuses them.
   */
  disconnect(target: string | ConnectionFilter, reason: SseCloseReason = 'disconnect'): number {
    const connections =
      typeof target === 'string'
        ? [this.pool.get(target)].filter(isDefined)
        : this.matching(target);
    for (const connection of connections) connection.end(reason);
    return connections.length;
  }

  stats(): SseRegistryStats {
    const totals = { ...this.pool.retiredTotals };
    for (const connection of this.pool.values()) {
      totals.eventsSent += connection.eventsSent;
      totals.bytesSent += connection.bytesSent;
      totals.droppedEvents += connection.droppedEvents;
    }
    const users: Record<string, number> = {};
    for (const userId of this.pool.userIds()) users[userId] = this.pool.ofUser(userId)?.size ?? 0;
    return {
      connections: this.pool.activeCount,
      channels: Object.fromEntries(this.hub.memberCounts()),
      users,
      ...totals,
      disconnects: { ...this.pool.disconnects },
    };
  }

  private matching(filter: ConnectionFilter): SseConnection[] {
    const found: SseConnection[] = [];
    for (const connection of this.pool.values()) {
      if (filter.channel !== undefined && !connection.channels.includes(filter.channel)) continue;
      if (filter.userId !== undefined && connection.userId !== filter.userId) continue;
      if (filter.state !== undefined && connection.state !== filter.state) continue;
      found.push(connection);
    }
    return found;
  }
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}
