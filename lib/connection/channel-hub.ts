import { Injectable } from '@nestjs/common';
import type { SseChannelWatcher } from '../interfaces/sse-backend.interface.js';
import type { OutboundFrame } from '../interfaces/sse-frame.interface.js';
import type { SseConnection } from './sse-connection.js';

/** A channel's local members, and the array a delivery iterates, made again after a change. */
interface Members {
  readonly set: Set<SseConnection>;
  list: SseConnection[] | undefined;
}

/** Which local connections listen to which channel; delivers one frame to all of them. */
@Injectable()
export class ChannelHub {
  private readonly channels = new Map<string, Members>();
  private watcher: SseChannelWatcher | undefined;

  /** See `SseLocalDelivery.watchChannels()`: one watcher, the backend. */
  watch(watcher: SseChannelWatcher): () => void {
    this.watcher = watcher;
    return () => {
      if (this.watcher === watcher) this.watcher = undefined;
    };
  }

  /** Adds the connection to its channels; `leave()` must follow when it retires. */
  join(connection: SseConnection): void {
    for (const channel of connection.channels) {
      let members = this.channels.get(channel);
      if (!members) {
        this.channels.set(channel, (members = { set: new Set(), list: undefined }));
        this.watcher?.joined(channel);
      }
      members.set.add(connection);
      members.list = undefined;
    }
  }

  /** Removes the connection from its channels; harmless for one that never joined. */
  leave(connection: SseConnection): void {
    for (const channel of connection.channels) {
      const members = this.channels.get(channel);
      if (!members?.set.delete(connection)) continue;
      members.list = undefined;
      if (members.set.size > 0) continue;
      this.channels.delete(channel);
      this.watcher?.left(channel);
    }
  }

  /**
   * Writes `frame` to every member of `channel`, except the connection ids in `exclude`, and
   * returns how many took it. The same frame object, and so the same Buffer, goes to every
   * socket: nothing is encoded or allocated per subscriber.
   */
  deliver(channel: string, frame: OutboundFrame, exclude?: ReadonlySet<string>): number {
    const members = this.channels.get(channel);
    if (!members) return 0;
    // An array: iterated per event, faster than the Set, and a snapshot, so a member that leaves
    // during the delivery (a slow consumer dropped) does not disturb it.
    const list = (members.list ??= [...members.set]);
    const now = Date.now();
    let delivered = 0;
    for (let i = 0; i < list.length; i++) {
      const connection = list[i] as SseConnection;
      if (exclude?.has(connection.id)) continue;
      if (connection.write(frame, now)) delivered++;
    }
    return delivered;
  }

  /** Members of a channel, for `finish()` which ends them. */
  members(channel: string): ReadonlySet<SseConnection> | undefined {
    return this.channels.get(channel)?.set;
  }

  /** Number of local members of each channel that has any. */
  memberCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [channel, members] of this.channels) counts.set(channel, members.set.size);
    return counts;
  }
}
