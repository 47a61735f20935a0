import { Injectable } from '@nestjs/common';
import type { SseLocalDelivery, SseLocalSnapshot } from '../backends/sse-backend.interface.js';
import type {
  SseCloseReason,
  SseConnectionInfo,
} from '../interfaces/sse-connection-info.interface.js';
import { ChannelHub } from './channel-hub.js';
import { ConnectionPool, type ConnectionFilter } from './connection-pool.js';
import type { OutboundFrame } from './outbound-frame.js';

/** The module's side of the backend contract: frames in, written to this process's sockets. */
@Injectable()
export class LocalDelivery implements SseLocalDelivery {
  /**
   * During a `batch()`, the channels whose members it corked (at most the channels it delivers
   * to); undefined outside a batch. Each member is corked once per such channel and uncorked
   * once per such channel at the end, which balances because membership cannot grow during a
   * batch (a connection joins only when its stream opens, never from a delivery) and shrinks
   * only when a connection retires, which ends its response (`end()` fully uncorks the socket)
   * or destroys it at once.
   */
  private corked: Set<string> | undefined;

  constructor(
    private readonly hub: ChannelHub,
    private readonly pool: ConnectionPool,
  ) {}

  toChannel(channel: string, frame: OutboundFrame, exclude?: ReadonlySet<string>): number {
    const corked = this.corked;
    if (corked !== undefined && !corked.has(channel)) {
      corked.add(channel);
      for (const connection of this.hub.members(channel) ?? []) connection.cork();
    }
    return this.hub.deliver(channel, frame, exclude);
  }

  batch<T>(deliver: () => T): T {
    if (this.corked !== undefined) return deliver();
    const corked = new Set<string>();
    this.corked = corked;
    try {
      return deliver();
    } finally {
      this.corked = undefined;
      for (const channel of corked)
        for (const connection of this.hub.members(channel) ?? []) connection.uncork();
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
