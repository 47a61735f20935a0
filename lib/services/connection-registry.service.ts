import { Injectable } from '@nestjs/common';
import { ConnectionPool } from '../connection/connection-pool.js';
import type { SseConnection } from '../connection/sse-connection.js';
import type { SseConnectionInfo } from '../interfaces/sse-connection-info.interface.js';

/** Which connections `list()` and `count()` consider. */
export interface ConnectionFilter {
  /** Only connections subscribed to this channel. */
  readonly channel?: string;
}

/**
 * Who is connected, to what, since when, and how much they received.
 *
 * @example
 * constructor(private readonly registry: ConnectionRegistry) {}
 * const viewers = this.registry.count({ channel: 'rooms/42' });
 */
@Injectable()
export class ConnectionRegistry {
  constructor(private readonly pool: ConnectionPool) {}

  /** A snapshot of the connection with this id, if it is open in this process. */
  get(id: string): SseConnectionInfo | undefined {
    return this.pool.get(id)?.info();
  }

  /** Snapshots of the connections matching `filter`. */
  list(filter: ConnectionFilter = {}): SseConnectionInfo[] {
    const infos: SseConnectionInfo[] = [];
    for (const connection of this.pool.values())
      if (matches(connection, filter)) infos.push(connection.info());
    return infos;
  }

  /** Number of connections matching `filter`. */
  count(filter: ConnectionFilter = {}): number {
    if (filter.channel === undefined) return this.pool.size;
    let count = 0;
    for (const connection of this.pool.values()) if (matches(connection, filter)) count++;
    return count;
  }
}

function matches(connection: SseConnection, filter: ConnectionFilter): boolean {
  return filter.channel === undefined || connection.channels.includes(filter.channel);
}
