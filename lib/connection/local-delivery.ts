import { Injectable } from '@nestjs/common';
import type {
  SseChannelWatcher,
  SseLocalDelivery,
  SseLocalSnapshot,
} from '../interfaces/sse-backend.interface.js';
import type {
  SseCloseReason,
  SseConnectionInfo,
} from '../interfaces/sse-connection-info.interface.js';
import { ChannelHub } from './channel-hub.js';
import type { ConnectionFilter } from '../interfaces/sse-connection-info.interface.js';
import { ConnectionPool } from './connection-pool.js';
import type { OutboundFrame } from '../interfaces/sse-frame.interface.js';

/** The module's side of the backend contract: frames in, written to this process's sockets. */
@Injectable()
export class LocalDelivery implements SseLocalDelivery {
  constructor(
    private readonly hub: ChannelHub,
    private readonly pool: ConnectionPool,
  ) {}

  toChannel(channel: string, frame: OutboundFrame, exclude?: ReadonlySet<string>): number {
    return this.hub.deliver(channel, frame, exclude);
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

  watchChannels(watcher: SseChannelWatcher): () => void {
    return this.hub.watch(watcher);
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
