import type { BusMessage } from './bus-message.js';

/** Past this many channels with dropped messages, the catch-up stops telling them apart. */
const MAX_DROPPED_CHANNELS = 10_000;

/**
 * Bus messages that arrive while a catch-up reads the streams, kept in arrival order to be
 * handled after it, up to `maxBytes` (wire size). Once a message does not fit, nothing more is
 * kept until the catch-up ends: a later event of a channel must not reach its clients ahead of a
 * dropped one, or their `Last-Event-ID` would skip it. The channels of dropped events that
 * `isLocal` accepts (those with local subscribers: only their streams lost anything) are
 * remembered, up to 10,000, then "all", so that their local streams can be ended and their
 * clients replay from the streams when they reconnect.
 */
export class HeldMessages {
  private readonly kept: BusMessage[] = [];
  private bytes = 0;
  private overflowed = false;
  private readonly droppedChannels = new Set<string>();
  private droppedTooMany = false;

  constructor(
    private readonly maxBytes: number,
    private readonly isLocal: (channel: string) => boolean,
  ) {}

  /** Keeps `message` of `size` bytes, or drops it (false) once the bound has been reached. */
  hold(message: BusMessage, size: number): boolean {
    if (!this.overflowed && this.bytes + size <= this.maxBytes) {
      this.kept.push(message);
      this.bytes += size;
      return true;
    }
    this.overflowed = true;
    if ((message.kind === 'event' || message.kind === 'finish') && this.isLocal(message.channel)) {
      if (this.droppedChannels.size < MAX_DROPPED_CHANNELS)
        this.droppedChannels.add(message.channel);
      else this.droppedTooMany = true;
    }
    return false;
  }

  get hasOverflowed(): boolean {
    return this.overflowed;
  }

  /** Channels that lost events to the bound, or 'all' when there were too many to list. */
  dropped(): ReadonlySet<string> | 'all' {
    return this.droppedTooMany ? 'all' : this.droppedChannels;
  }

  /** The kept messages, oldest first; the buffer is empty afterwards. */
  take(): BusMessage[] {
    const kept = this.kept.splice(0);
    this.bytes = 0;
    return kept;
  }
}
