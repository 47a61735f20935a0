import { Injectable } from '@nestjs/common';
import type { SseLocalDelivery, SseLocalSnapshot } from '../backends/sse-backend.interface.js';
import type {
  SseCloseReason,
  SseConnectionInfo,
} from '../interfaces/sse-connection-info.interface.js';
import { ChannelHub } from './channel-hub.js';
import { ConnectionPool, type ConnectionFilter } from './connection-pool.js';
import type { OutboundFrame } from './outbound-frame.js';
import type { SseConnection } from './sse-connection.js';

interface CorkedBatch {
  readonly connections: SseConnection[];
  readonly channels: Set<string>;
}

/** The module's side of the backend contract: frames in, written to this process's sockets. */
@Injectable()
export class LocalDelivery implements SseLocalDelivery {
  /**
   * During a `batch()`, the connections it corked, to uncork at its end, and their channels:
   * at most the members of the channels the batch delivers to. Undefined outside a batch.
   */
  private corked: CorkedBatch | undefined;

  constructor(
    private readonly hub: ChannelHub,
    private readonly pool: ConnectionPool,
  ) {}

  toChannel(channel: string, frame: OutboundFrame, exclude?: ReadonlySet<string>): number {
    const corked = this.corked;
    if (corked !== undefined && !corked.channels.has(channel)) {
      corked.channels.add(channel);
      for (const connection of this.hub.members(channel) ?? []) {
        connection.cork();
        corked.connections.push(connection);
      }
    }
    return this.hub.deliver(channel, frame, exclude);
  }

  batch<T>(deliver: () => T): T {
    if (this.corked !== undefined) return deliver();
    const corked: CorkedBatch = { connections: [], channels: new Set() };
    this.corked = corked;
    try {
      return deliver();
    } finally {
      this.corked = undefined;
      // A connection ended meanwhile has flushed (end) or dropped (destroy) what it had.
      for (const connection of corked.connections) connection.uncork();
    }
  }

  toConnection(connectionId: string, frame: OutboundFrame): number {
    return this.pool.get(connectionId)?.write(frame, Date.now()) ? 1 : 0;
  }

  toUser(userId: string, frame: OutboundFrame): number {
    const now = Date.now();
    let delivered = 0;
    for (const connection of this.pool.ofUser(userId) ?? [])
      if (connection.write(frame, now)) delivered++;
    return delivered;
  }

  finishChannel(channel: string, lastFrame: OutboundFrame | undefined): number {
    return this.endChannel(channel, 'finished', lastFrame);
  }

  disconnectChannel(channel: string, reason: SseCloseReason): number {
    return this.endChannel(channel, reason, undefined);
  }

  snapshot(): SseLocalSnapshot {
    return this.pool.snapshot();
  }

  list(filter: ConnectionFilter): SseConnectionInfo[] {
    return this.pool.matching(filter).map((connection) => connection.info());
  }

  private endChannel(
    channel: string,
    reason: SseCloseReason,
    lastFrame: OutboundFrame | undefined,
  ): number {
    // Copied: ending a stream removes it from the set being iterated.
    const members = [...(this.hub.members(channel) ?? [])];
    for (const connection of members) connection.end(reason, lastFrame);
    return members.length;
  }
}
