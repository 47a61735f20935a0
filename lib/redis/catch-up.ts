import type { Logger } from '@nestjs/common';
import { comparePositions, type OutboundFrame, type SseLocalDelivery } from '../backends/index.js';
import type { BusReader, CatchUpHold } from './bus-reader.js';
import type { ChannelStore } from './channel-store.js';
import { HeldMessages } from './held-messages.js';
import type { OwnDeliveries } from './own-deliveries.js';
import { RedisMessages } from './redis.messages.js';
import { entryFrame, type StreamEntry } from './stream-entry.js';

/** Channels a catch-up reads at once (their commands share the connection's pipeline). */
const CATCH_UP_BATCH = 16;
/** Tries of a catch-up whose reads fail (the command connection may come back after the other). */
const CATCH_UP_ATTEMPTS = 10;
const CATCH_UP_RETRY_MS = 200;

/** What a catch-up works with. */
export interface CatchUpHost {
  readonly store: ChannelStore;
  readonly reader: BusReader;
  readonly delivery: SseLocalDelivery;
  readonly own: OwnDeliveries;
  readonly logger: Logger;
  readonly catchUpBufferBytes: number;
  readonly instanceId: string;
  /** Subscribes again; resolves once Redis confirms the subscription. */
  confirmSubscription(): Promise<void>;
  /** Resolves once the subscriber's connection has answered everything sent before. */
  ping(): Promise<void>;
  /** Whether the subscription was lost since this was last asked; asking clears it. */
  takeLost(): boolean;
}

/** A missed event a catch-up read from a stream, framed for its channel's subscribers. */
interface MissedEvent {
  readonly sequence: number;
  readonly frame: OutboundFrame & { readonly channel: string; readonly position: string };
}

/** What a catch-up pass read of one channel. */
interface ChannelRead {
  readonly channel: string;
  /** Its missed events, oldest first; undefined if they did not all fit the pass's bound. */
  readonly missed: readonly MissedEvent[] | undefined;
  /** The newest entry not missed (seen on the bus, or caught up), if the stream holds one. */
  readonly boundary: string | undefined;
}

/** Bytes of missed events one pass holds, across channels, up to `catchUpBufferBytes`. */
interface PassBudget {
  bytes: number;
  overflowed: boolean;
}

/**
 * After the subscription was lost and came back: delivers what the local subscribers missed
 * meanwhile, read from each of their channels' streams after the last event seen on the bus,
 * in publish order across channels. Bus messages arriving during the catch-up are held
 * (bounded) and handled after it, those the catch-up already delivered skipped, so connected
 * clients see no gap and no duplicate without reconnecting. A pass whose reads fail delivers
 * nothing, and is tried again. Local streams whose missed events cannot all be delivered in
 * order (history trimmed past them, held messages over `catchUpBufferBytes`, more missed
 * events than it across the channels of a stream, Redis unreadable) are ended, so their
 * clients replay with `Last-Event-ID`, or learn of the gap with a `reset`.
 *
 * Its sets and maps hold at most one entry per channel with local subscribers; its held
 * messages are bounded by `catchUpBufferBytes`.
 */
export class CatchUp implements CatchUpHold {
  /**
   * Channels that had local subscribers when the catch-up started: only their dropped messages
   * are told apart, so, if any were dropped, the streams of any other channel end too.
   */
  private readonly channels: Set<string>;
  readonly held: HeldMessages;
  liveFrom: number | undefined;
  /** Per channel, the newest position the catch-up delivered; the bus may bring those again. */
  private readonly delivered = new Map<string, string>();
  /** Channels whose missed events the current pass delivered. */
  private readonly read = new Set<string>();
  /** Channels whose history no longer holds every missed event. */
  private readonly evicted = new Set<string>();
  /**
   * Channels that share a local stream with another channel and missed more than a pass can
   * hold: their events could not be delivered in publish order across channels.
   */
  private readonly unordered = new Set<string>();
  /** Channels finished meanwhile: their streams end once caught up. */
  private readonly finished = new Set<string>();
  /** Publishes of ours waiting when the subscription came back. */
  private readonly waitingBefore: ReadonlyArray<readonly [string, string]>;
  /** The sequence of the newest event the catch-up delivered. */
  private sequence: number;

  constructor(private readonly host: CatchUpHost) {
    const channels = new Set(Object.keys(host.delivery.snapshot().channels));
    this.channels = channels;
    this.held = new HeldMessages(host.catchUpBufferBytes, (channel) => channels.has(channel));
    this.waitingBefore = host.own.pending();
    this.sequence = host.reader.seenSequence;
  }

  /**
   * Catches up, passes after passes while the subscription is lost again or reads fail (a few
   * times), then completes. Resolves with the number of channels whose streams it ended.
   */
  async run(): Promise<number> {
    const { reader } = this.host;
    reader.holdFor(this);
    let failure: Error | undefined;
    for (let attempt = 1; reader.isHolding(this); attempt++) {
      this.host.takeLost();
      this.read.clear();
      try {
        await this.pass();
        failure = undefined;
      } catch (error) {
        failure = error as Error;
      }
      // Lost again meanwhile: the bus may have dropped more, so read again (what was
      // delivered is not delivered twice). Same for reads that failed, a few times.
      if (this.host.takeLost()) continue;
      if (failure === undefined || attempt >= CATCH_UP_ATTEMPTS) break;
      await new Promise((resolve) => setTimeout(resolve, CATCH_UP_RETRY_MS * attempt).unref());
    }
    // Closed meanwhile: nothing left to deliver to.
    if (!reader.isHolding(this)) return 0;
    reader.release();
    return this.complete(failure);
  }

  private async pass(): Promise<void> {
    const { store, delivery } = this.host;
    this.liveFrom = undefined;
    // Confirms the subscription is active again before reading: whatever is published later
    // arrives on the bus (and is held), so nothing falls in between.
    await this.host.confirmSubscription();
    const channels = Object.keys(delivery.snapshot().channels).filter(
      (channel) => !this.evicted.has(channel) && !this.unordered.has(channel),
    );
    const budget: PassBudget = { bytes: 0, overflowed: false };
    const reads: ChannelRead[] = [];
    for (let start = 0; start < channels.length; start += CATCH_UP_BATCH) {
      const batch = channels.slice(start, start + CATCH_UP_BATCH);
      const finished = await store.finishedAmong(batch);
      for (const [index, channel] of batch.entries())
        if (finished[index]) this.finished.add(channel);
      // Settled, not raced: a read still running must not change the pass after it failed.
      const settled = await Promise.allSettled(
        batch.map((channel) => this.readMissed(budget, channel)),
      );
      for (const result of settled) {
        if (result.status === 'rejected') throw result.reason;
        reads.push(result.value);
      }
    }
    // Its answer comes after every message published before the reads ended: from here on,
    // nothing the bus brings can be something the catch-up read, and `liveFrom` is known.
    await this.host.ping();
    if (budget.overflowed) await this.deliverEachChannel(reads);
    else this.deliverInOrder(reads);
  }

  /**
   * The channel's events with a sequence above the last one seen, newest first down to one
   * seen or caught up before, kept while the pass's missed events fit `catchUpBufferBytes`.
   */
  private async readMissed(budget: PassBudget, channel: string): Promise<ChannelRead> {
    const { store, reader, catchUpBufferBytes } = this.host;
    const missed: MissedEvent[] = [];
    let complete = true;
    let boundary: string | undefined;
    scan: for await (const page of store.pagesNewestFirst(channel)) {
      for (const entry of page) {
        if (entry.sequence <= reader.seenSequence || this.caughtUp(channel, entry.position)) {
          boundary = entry.position;
          break scan;
        }
        // Past the bound the scan goes on, for the boundary only.
        complete &&= !budget.overflowed;
        if (!complete) continue;
        const event = missedEvent(channel, entry);
        budget.bytes += event.frame.bytes.length;
        if (budget.bytes <= catchUpBufferBytes) {
          missed.push(event);
        } else {
          budget.overflowed = true;
          complete = false;
        }
      }
    }
    const none = complete && missed.length === 0;
    // No event seen here is left in the stream: missed ones may have been trimmed too, and
    // delivering the rest would move the clients' Last-Event-ID past the gap. (A stream that
    // never lost an entry holds every missed one: a channel whose first events came during the
    // loss.)
    if (!none && boundary === undefined && (await store.historyTrimmed(channel))) {
      this.evicted.add(channel);
      return { channel, missed: [], boundary };
    }
    return { channel, missed: complete ? missed.reverse() : undefined, boundary };
  }

  /**
   * Delivers the pass's missed events of all channels merged in publish order (the global
   * sequence), the order a replay of several channels has: a client on several channels
   * then resumes after its `Last-Event-ID` with nothing skipped. Events from `liveFrom` on are
   * left to the held messages, which have all of them in that order.
   */
  private deliverInOrder(reads: readonly ChannelRead[]): void {
    const merged = reads.flatMap((read) => read.missed ?? []);
    merged.sort((a, b) => a.sequence - b.sequence);
    const liveFrom = this.liveFrom ?? Infinity;
    // In one tick, as a read of the bus: each socket takes all of its frames in one write.
    for (const event of merged) {
      if (event.sequence >= liveFrom) break;
      this.deliverMissed(event);
    }
    for (const read of reads) this.read.add(read.channel);
  }

  /**
   * Past the bound, the missed events cannot be merged. A channel none of whose local streams
   * has another channel needs its own order only: it gets its events one page at a time. The
   * streams of a channel shared with another one end instead (see `unordered`).
   */
  private async deliverEachChannel(reads: readonly ChannelRead[]): Promise<void> {
    const shared = new Set<string>();
    for (const { channels } of this.host.delivery.list({}))
      if (channels.length > 1) for (const channel of channels) shared.add(channel);
    for (const { channel, missed, boundary } of reads) {
      if (missed?.length === 0) {
        this.read.add(channel);
        continue;
      }
      if (shared.has(channel)) this.unordered.add(channel);
      else if (missed) this.deliverEach(missed);
      else await this.deliverForward(channel, boundary);
      this.read.add(channel);
    }
  }

  /** Reads the channel's stream after `boundary` (from its start without one) and delivers it. */
  private async deliverForward(channel: string, boundary: string | undefined): Promise<void> {
    for await (const page of this.host.store.pagesAfter(channel, boundary))
      this.deliverEach(page.map((entry) => missedEvent(channel, entry)));
  }

  private deliverEach(events: readonly MissedEvent[]): void {
    for (const event of events) this.deliverMissed(event);
  }

  private deliverMissed({ sequence, frame }: MissedEvent): void {
    const { channel, position } = frame;
    if (this.caughtUp(channel, position)) return;
    const delivered = this.host.delivery.toChannel(channel, frame);
    this.delivered.set(channel, position);
    this.sequence = Math.max(this.sequence, sequence);
    this.host.own.settleWaiting(channel, position, delivered);
  }

  /** Whether the catch-up already delivered the channel's event at `position`. */
  private caughtUp(channel: string, position: string): boolean {
    const last = this.delivered.get(channel);
    return last !== undefined && comparePositions(position, last) <= 0;
  }

  /** Hands over what was held, ends what could not be caught up; returns the channels ended. */
  private complete(failure: Error | undefined): number {
    const { delivery, logger, reader, own, catchUpBufferBytes } = this.host;
    const ending = new Set<string>([...this.evicted, ...this.unordered]);
    for (const channel of this.evicted) logger.warn(RedisMessages.catchUpEvicted(channel));
    if (this.unordered.size > 0) logger.warn(RedisMessages.catchUpUnordered(catchUpBufferBytes));
    const local = Object.keys(delivery.snapshot().channels);
    if (failure !== undefined) {
      logger.warn(RedisMessages.catchUpFailed(failure.message));
      for (const channel of local) if (!this.read.has(channel)) ending.add(channel);
    }
    if (this.held.hasOverflowed) {
      logger.warn(RedisMessages.catchUpOverflow(catchUpBufferBytes));
      const dropped = this.held.dropped();
      for (const channel of dropped === 'all' ? local : dropped) ending.add(channel);
      // Subscribed to meanwhile: what was dropped of theirs was not told apart. (A drop is
      // not the moment to ask which channels have local subscribers: that costs a snapshot.)
      for (const channel of local) if (!this.channels.has(channel)) ending.add(channel);
    }
    // Up to catchUpBufferBytes of frames, in one tick: each socket takes them in a few writes.
    this.handleHeld(ending);
    reader.noteSeen(this.sequence);
    for (const channel of this.finished)
      if (!ending.has(channel)) delivery.finishChannel(channel, undefined);
    let streams = 0;
    let channels = 0;
    // Not finished: their clients come back with Last-Event-ID and replay from the streams.
    for (const channel of ending) {
      const ended = delivery.disconnectChannel(channel, 'resync');
      streams += ended;
      if (ended > 0) channels++;
    }
    if (streams > 0) logger.warn(RedisMessages.catchUpEnded(streams, channels));
    // Publishes of ours whose event reached no local subscriber while the subscription was
    // down will never hear back from the bus: nothing was delivered here.
    for (const [channel, position] of this.waitingBefore) own.settleWaiting(channel, position, 0);
    return channels;
  }

  /** The messages held during the catch-up, less those it delivered or must not deliver. */
  private handleHeld(ending: ReadonlySet<string>): void {
    const { delivery, reader, own, instanceId } = this.host;
    for (const message of this.held.take()) {
      if (message.kind === 'event') {
        const { channel, position, origin } = message;
        const duplicate = this.caughtUp(channel, position);
        // Not delivered to streams about to end: their clients must resume before the gap.
        if (duplicate || ending.has(channel)) {
          reader.noteSeen(message.sequence);
          if (origin === instanceId && !duplicate) own.settle(channel, position, 0);
          continue;
        }
      }
      if (message.kind === 'finish') {
        const { channel, position, origin } = message;
        // Nor finished: a client told its stream is over would never learn of the gap.
        if (ending.has(channel)) {
          reader.noteSeen(message.sequence);
          if (origin === instanceId && position !== undefined) own.settle(channel, position, 0);
          continue;
        }
        // The final event was caught up already: end the streams without sending it again.
        if (position !== undefined && this.caughtUp(channel, position)) {
          const ended = delivery.finishChannel(channel, undefined);
          if (origin === instanceId) own.settle(channel, position, ended);
          continue;
        }
      }
      reader.handle(message);
    }
  }
}

function missedEvent(channel: string, entry: StreamEntry): MissedEvent {
  return { sequence: entry.sequence, frame: entryFrame(channel, entry) };
}
