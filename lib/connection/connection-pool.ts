import { Injectable } from '@nestjs/common';
import type { SseConnection } from './sse-connection.js';

type PoolListener = (connection: SseConnection) => void;

/**
 * The open connections of this process, by id. Internal: the public view is
 * `ConnectionRegistry`. A connection leaves the pool when it is torn down.
 */
@Injectable()
export class ConnectionPool {
  private readonly connections = new Map<string, SseConnection>();
  private readonly addedListeners: PoolListener[] = [];
  private readonly removedListeners: PoolListener[] = [];

  get size(): number {
    return this.connections.size;
  }

  add(connection: SseConnection): void {
    this.connections.set(connection.id, connection);
    connection.onTeardown(() => {
      this.connections.delete(connection.id);
      for (const listener of this.removedListeners) listener(connection);
    });
    for (const listener of this.addedListeners) listener(connection);
  }

  get(id: string): SseConnection | undefined {
    return this.connections.get(id);
  }

  values(): IterableIterator<SseConnection> {
    return this.connections.values();
  }

  onAdded(listener: PoolListener): void {
    this.addedListeners.push(listener);
  }

  onRemoved(listener: PoolListener): void {
    this.removedListeners.push(listener);
  }
}
