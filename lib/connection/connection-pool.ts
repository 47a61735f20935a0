import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { SseLocalSnapshot } from '../interfaces/sse-backend.interface.js';
import type {
  ConnectionFilter,
  SseCloseReason,
  SseConnectionEvent,
} from '../interfaces/sse-connection-info.interface.js';
import type { SseConnection } from './sse-connection.js';

/**
 * The connections of this process: by id, by user, with lifetime counters. Internal; the public
 * view is `ConnectionRegistry`. A connection is "active" from admission until it retires (stops
 * receiving), and listed until it is closed for good.
 */
@Injectable()
export class ConnectionPool {
  private readonly connections = new Map<string, SseConnection>();
  private readonly byUser = new Map<string, Set<SseConnection>>();
  private readonly listeners: Array<(present: number) => void> = [];
  private active = 0;
  /** Connected/disconnected notifications for `ConnectionRegistry.events$`. */
  readonly events$ = new Subject<SseConnectionEvent>();
  /** Totals of connections that are gone, so stats cover the life of the process. */
  readonly retiredTotals = { eventsSent: 0, bytesSent: 0, droppedEvents: 0 };
  readonly disconnects: Partial<Record<SseCloseReason, number>> = {};

  /** Connections listed now (connecting, open, closing). */
  get size(): number {
    return this.connections.size;
  }

  /** Connections that count against limits: connecting or open. */
  get activeCount(): number {
    return this.active;
  }

  /** Lists a connection just admitted; `retired()` and `closed()` follow, once each. */
  add(connection: SseConnection): void {
    this.connections.set(connection.id, connection);
    this.active++;
    const { userId } = connection;
    if (userId !== undefined) {
      let set = this.byUser.get(userId);
      if (!set) this.byUser.set(userId, (set = new Set()));
      set.add(connection);
    }
    this.notify();
  }

  /** Called once a connection's headers are out. */
  opened(connection: SseConnection): void {
    // A snapshot costs an allocation per connect: only made for someone listening.
    if (this.events$.observed)
      this.events$.next({ type: 'connected', connection: connection.info() });
  }

  get(id: string): SseConnection | undefined {
    return this.connections.get(id);
  }

  values(): IterableIterator<SseConnection> {
    return this.connections.values();
  }

  /** Active connections of a user. */
  ofUser(userId: string): ReadonlySet<SseConnection> | undefined {
    return this.byUser.get(userId);
  }

  userIds(): IterableIterator<string> {
    return this.byUser.keys();
  }

  matching(filter: ConnectionFilter): SseConnection[] {
    const found: SseConnection[] = [];
    for (const connection of this.connections.values()) {
      if (filter.channel !== undefined && !connection.channels.includes(filter.channel)) continue;
      if (filter.userId !== undefined && connection.userId !== filter.userId) continue;
      if (filter.state === undefined ? !isLive(connection) : connection.state !== filter.state)
        continue;
      found.push(connection);
    }
    return found;
  }

  /** Active connections now: in total, per channel, per user. */
  snapshot(): SseLocalSnapshot {
    const channels: Record<string, number> = {};
    const users: Record<string, number> = {};
    for (const connection of this.connections.values()) {
      if (!isLive(connection)) continue;
      for (const channel of connection.channels) channels[channel] = (channels[channel] ?? 0) + 1;
      if (connection.userId !== undefined)
        users[connection.userId] = (users[connection.userId] ?? 0) + 1;
    }
    return { connections: this.active, channels, users };
  }

  /** Calls `listener` with the number of listed connections whenever it changes. */
  onSizeChange(listener: (present: number) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  /** The connection stopped receiving: it no longer counts against the limits. */
  retired(connection: SseConnection): void {
    this.active--;
    const { userId } = connection;
    if (userId === undefined) return;
    const set = this.byUser.get(userId);
    set?.delete(connection);
    if (set?.size === 0) this.byUser.delete(userId);
  }

  /** The connection is gone: forgotten, its counters added to the totals. */
  closed(connection: SseConnection): void {
    this.connections.delete(connection.id);
    this.retiredTotals.eventsSent += connection.eventsSent;
    this.retiredTotals.bytesSent += connection.bytesSent;
    this.retiredTotals.droppedEvents += connection.droppedEvents;
    if (connection.wasOpened) {
      const reason = connection.closeReason ?? 'client';
      this.disconnects[reason] = (this.disconnects[reason] ?? 0) + 1;
      if (this.events$.observed) {
        this.events$.next({ type: 'disconnected', connection: connection.info(), reason });
      }
    }
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener(this.connections.size);
  }
}

/** Connecting or open: admitted and not yet retired, so it counts against the limits. */
function isLive(connection: SseConnection): boolean {
  return connection.state === 'connecting' || connection.state === 'open';
}
