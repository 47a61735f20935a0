import type { Logger } from '@nestjs/common';
import { comparePositions, type SseLocalDelivery } from '../backends/index.js';
import type { BusMessage } from './bus-message.js';
import type { BusReader } from './bus-reader.js';
import type { ChannelFeed } from './channel-feed.js';
import type { ChannelStore } from './channel-store.js';
import { HeldMessages } from './held-messages.js';
import type { OwnDeliveries } from './own-deliveries.js';
import { RedisMessages } from './redis.messages.js';
import { entryFrame, type StreamEntry } from './stream-entry.js';

/** Channels a catch-up reads at once (their commands share the connection's pipeline). */
const CATCH_UP_BATCH = 16;
/** Missed events one read brings at most; a channel that missed more is read again. */
const PAGE = 500;
/** Tries of a catch-up whose reads fail (the command connection may come back after the other). */
const CATCH_UP_ATTEMPTS = 10;
const CATCH_UP_RETRY_MS = 200;

/** What a catch-up works with. */
export interface CatchUpHost {
  readonly store: ChannelStore;
  readonly feed: ChannelFeed;
  readonly reader: BusReader;
  readonly delivery: SseLocalDelivery;
  readonly own: OwnDeliveries;
  readonly logger: Logger;
  readonly catchUpBufferBytes: number;
  readonly instanceId: string;
  /**
   * Subscribes again to everything listened to; resolves once Redis has answered, with the
   * channels it could not subscribe (each with its error).
   */
  confirmSubscriptions(): Promise<ReadonlyMap<string, Error>>;
  /** Whether the subscription was lost since this was last asked; asking clears it. */
  takeLost(): boolean;
}

/**
 * After the subscription was lost and came back: delivers to the local streams of each channel
 * listened to what was published on it meanwhile, read from its history after the newest
 * position its streams were handed (see `ChannelFeed`), in the channel's order. Each channel is
 * caught up on its own: a stream on several channels resumes each of them from its id, so no
 * order across channels is needed. Messages arriving during the catch-up are held (bounded)
 * and handled after it, less those it already delivered, so connected clients see no gap and no
 * duplicate without reconnecting. A pass whose reads fail is tried again, from where each
 * channel got to. The streams of a channel that cannot be caught up (history trimmed past its
 * position, held messages over `catchUpBufferBytes`, Redis unreadable) are ended, so their
 * clients replay with `Last-Event-ID`, or learn of the gap with a `reset`.
 *
 * Its sets and maps hold at most one entry per channel listened to; its held messages are
 * bounded by `catchUpBufferBytes`.
 */
export class CatchUp {
  /**
   * Channels listened to when the catch-up started: only their dropped messages are told apart,
   * so, if any were dropped, the streams of any other channel end too.
   */
  private readonly channels: Set<string>;
  private readonly held: HeldMessages;
  /** Per channel, the newest position the catch-up delivered; held messages may bring it again. */
  private readonly delivered = new Map<string, string>();
  /** Channels the current pass caught up. */
  private readonly read = new Set<string>();
  /** Channels whose missed events cannot all be had: history trimmed, or no position known. */
  private readonly lost = new Set<string>();
  /** Channels finished meanwhile: their streams end once caught up. */
  private readonly finished = new Set<string>();
  /** Publishes of ours waiting when the subscription came back. */
  private readonly waitingBefore: ReadonlyArray<readonly [string, string]>;

  constructor(private readonly host: CatchUpHost) {
    const channels = new Set(host.feed.list());
    this.channels = channels;
    this.held = new HeldMessages(host.catchUpBufferBytes, (channel) => channels.has(channel));
    this.waitingBefore = host.own.pending();
  }

  /**
   * Catches up, pass after pass while the subscription is lost again or reads fail (a few
   * times), then completes. Resolves with the number of channels whose streams it ended.
   */
  async run(): Promise<number> {
    const { reader } = this.host;
    reader.holdIn(this.held);
    let failure: Error | undefined;
    for (let attempt = 1; reader.isHolding(this.held); attempt++) {
      this.host.takeLost();
      this.read.clear();
      try {
        await this.pass();
        failure = undefined;
      } catch (error) {
        failure = error as Error;
      }
      // Lost again meanwhile: more may be missing, so read again (what was delivered is not
      // delivered twice). Same for reads that failed, a few times.
      if (this.host.takeLost()) continue;
      if (failure === undefined || attempt >= CATCH_UP_ATTEMPTS) break;
      await new Promise((resolve) => setTimeout(resolve, CATCH_UP_RETRY_MS * attempt).unref());
    }
    // Closed meanwhile: nothing left to deliver to.
    if (!reader.isHolding(this.held)) return 0;
    reader.release();
    return this.complete(failure);
  }

  private async pass(): Promise<void> {
    // Confirms the subscriptions are active again before reading: whatever is published later
    // arrives (and is held), so nothing falls in between. A channel not subscribed is not read.
    const unsubscribed = await this.host.confirmSubscriptions();
    let failure: unknown = unsubscribed.values().next().value;
    const channels = this.host.feed
      .list()
      .filter((channel) => !this.lost.has(channel) && !unsubscribed.has(channel));
    for (let start = 0; start < channels.length; start += CATCH_UP_BATCH) {
      const batch = channels.slice(start, start + CATCH_UP_BATCH);
      const finished = await this.host.store.finishedAmong(batch);
      for (const [index, channel] of batch.entries())
        if (finished[index]) this.finished.add(channel);
      // Settled, not raced: no read may still be delivering when the pass is tried again.
      const settled = await Promise.allSettled(batch.map((channel) => this.catchUp(channel)));
      failure ??= settled.find((result) => result.status === 'rejected')?.reason;
    }
    // The other channels were read even so: on a cluster, one shard down fails only its own.
    if (failure !== undefined) throw failure;
  }

  /** Delivers the channel's events after the newest its streams have, a page at a time. */
  private async catchUp(channel: string): Promise<void> {
    let from = this.delivered.get(channel) ?? this.host.feed.seen(channel);
    if (from === undefined) {
      // Its first stream's replay has not told where the channel was: what it missed is unknown.
      this.lost.add(channel);
      return;
    }
    for (;;) {
      const read = await this.host.store.read(channel, from, PAGE);
      if (read.status !== 'ok') {
        this.lost.add(channel);
        return;
      }
      // In one tick, as one read of pub/sub: each socket takes the page's frames in one write.
      for (const entry of read.entries) this.deliverMissed(channel, entry);
      if (read.entries.length < PAGE) break;
      from = read.position;
    }
    this.read.add(channel);
  }

  private deliverMissed(channel: string, entry: StreamEntry): void {
    const { position } = entry;
    if (this.caughtUp(channel, position)) return;
    const delivered = this.host.delivery.toChannel(channel, entryFrame(channel, entry));
    this.delivered.set(channel, position);
    this.host.feed.advance(channel, position);
    this.host.own.settleWaiting(channel, position, delivered);
  }

  /** Whether the catch-up already delivered the channel's event at `position`. */
  private caughtUp(channel: string, position: string): boolean {
    const last = this.delivered.get(channel);
    return last !== undefined && comparePositions(position, last) <= 0;
  }

  /** Hands over what was held, ends what could not be caught up; returns the channels ended. */
  private complete(failure: Error | undefined): number {
    const { delivery, logger, feed, own, catchUpBufferBytes } = this.host;
    const ending = new Set<string>(this.lost);
    for (const channel of this.lost) logger.warn(RedisMessages.catchUpEvicted(channel));
    const local = feed.list();
    if (failure !== undefined) {
      logger.warn(RedisMessages.catchUpFailed(failure.message));
      for (const channel of local) if (!this.read.has(channel)) ending.add(channel);
    }
    if (this.held.hasOverflowed) {
      logger.warn(RedisMessages.catchUpOverflow(catchUpBufferBytes));
      const dropped = this.held.dropped();
      for (const channel of dropped === 'all' ? local : dropped) ending.add(channel);
      // Listened to meanwhile: what was dropped of theirs was not told apart.
      for (const channel of local) if (!this.channels.has(channel)) ending.add(channel);
    }
    // Up to catchUpBufferBytes of frames, in one tick: each socket takes them in a few writes.
    for (const message of this.held.take()) this.handleHeld(message, ending);
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
    // down will never hear back: nothing was delivered here.
    for (const [channel, position] of this.waitingBefore) own.settleWaiting(channel, position, 0);
    return channels;
  }

  /** A message held during the catch-up, unless it delivered it or must not deliver it. */
  private handleHeld(message: BusMessage, ending: ReadonlySet<string>): void {
    const { delivery, reader, own, instanceId } = this.host;
    if (message.kind === 'event') {
      const { channel, position, origin } = message;
      const duplicate = this.caughtUp(channel, position);
      // Not delivered to streams about to end: their clients must resume before the gap.
      if (duplicate || ending.has(channel)) {
        if (origin === instanceId && !duplicate) own.settle(channel, position, 0);
        return;
      }
    }
    if (message.kind === 'finish') {
      const { channel, position, origin } = message;
      // Nor finished: a client told its stream is over would never learn of the gap.
      if (ending.has(channel)) {
        if (origin === instanceId && position !== undefined) own.settle(channel, position, 0);
        return;
      }
      // The final event was caught up already: end the streams without sending it again.
      if (position !== undefined && this.caughtUp(channel, position)) {
        const ended = delivery.finishChannel(channel, undefined);
        if (origin === instanceId) own.settle(channel, position, ended);
        return;
      }
    }
    reader.handle(message);
  }
}
