import { comparePositions, type SseChannelWatcher } from '../backends/index.js';
import type { OwnDeliveries } from './own-deliveries.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisMessages } from './redis.messages.js';
import type { ShardSubscriber } from './shard-subscriber.js';

/** A channel the instance listens to: one subscription, from its first stream to its last. */
export interface FedChannel {
  /** Resolves once Redis has confirmed the subscription; rejects if it could not be sent. */
  readonly subscribed: Promise<void>;
  /** Redis has confirmed it: whatever is published from now on comes back to this instance. */
  confirmed: boolean;
  /** Rejects `subscribed`, if still pending: the subscriber is not there to confirm it. */
  readonly interrupt: (error: Error) => void;
  /**
   * The newest position known to have reached the channel's local streams: from the first
   * replay read after the subscription was confirmed, then from the events delivered.
   */
  seen: string | undefined;
}

/**
 * The channels this instance listens to: each channel with a local stream, subscribed when its
 * first stream joins and unsubscribed after its last leaves, so an instance receives only the
 * events of channels it serves. For each, where its streams are, from which a catch-up reads what
 * a lost subscription missed.
 */
export class ChannelFeed implements SseChannelWatcher {
  private readonly channels = new Map<string, FedChannel>();

  constructor(
    private readonly shards: ShardSubscriber,
    private readonly keys: RedisKeys,
    private readonly own: OwnDeliveries,
  ) {}

  /**
   * A connection carrying subscriptions closed. ioredis sends a subscription again once
   * reconnected, however long that takes: a stream waiting for it would wait as long. It fails
   * instead, as reads fail during an outage.
   */
  interrupt(): void {
    for (const fed of this.channels.values())
      if (!fed.confirmed) fed.interrupt(new Error(RedisMessages.subscriberDown()));
  }

  joined(channel: string): void {
    let settle: (error?: Error) => void = () => undefined;
    const subscribed = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve());
    });
    // Awaited by the replay of the stream that joins, which reports a failure.
    subscribed.catch(() => undefined);
    const fed: FedChannel = { subscribed, confirmed: false, interrupt: settle, seen: undefined };
    this.channels.set(channel, fed);
    const shardChannel = this.keys.channelEvents(channel);
    if (!this.shards.canSubscribe(shardChannel)) settle(new Error(RedisMessages.subscriberDown()));
    // Sent even so: ioredis sends it once reconnected, and the catch-up then confirms it.
    this.shards.subscribe(shardChannel).then(
      () => {
        fed.confirmed = true;
        settle();
      },
      (error: Error) => settle(error),
    );
  }

  left(channel: string): void {
    this.channels.delete(channel);
    // Publishes of ours waiting for their event: it may not come back now.
    this.own.settleChannel(channel, 0);
    // Redis runs it before any later SSUBSCRIBE to the channel: subscriptions are in order.
    this.shards.unsubscribe(this.keys.channelEvents(channel));
  }

  /**
   * The channel's subscription, if Redis has confirmed it: an event published from now on comes
   * back to this instance as long as `stillListening()` says so.
   */
  confirmedSubscription(channel: string): FedChannel | undefined {
    const fed = this.channels.get(channel);
    return fed?.confirmed ? fed : undefined;
  }

  /** Whether `subscription` is still the channel's (the channel was not left since). */
  stillListening(channel: string, subscription: FedChannel): boolean {
    return this.channels.get(channel) === subscription;
  }

  /** The channels listened to. */
  list(): string[] {
    return [...this.channels.keys()];
  }

  /** Resolves once Redis has confirmed the subscriptions of those of `channels` listened to. */
  async confirmed(channels: readonly string[]): Promise<void> {
    await Promise.all(channels.map((channel) => this.channels.get(channel)?.subscribed));
  }

  /**
   * Where a stream's replay found the channel, read once the subscription was confirmed: what
   * comes after arrives on it. Only the first such position counts. A later stream's replay may
   * read past events still on their way to the streams already open, which a lost subscription
   * could take with it.
   */
  replayed(channel: string, position: string): void {
    const fed = this.channels.get(channel);
    if (fed && fed.seen === undefined) fed.seen = position;
  }

  /**
   * Notes that the channel's streams are handed its event at `position`, and says whether they
   * lacked it: it comes after the newest they were handed. Events of a channel come in order, so
   * an older one arriving now was handed already, by a catch-up that read it before its message
   * was read. A channel not listened to records nothing and lacks everything.
   */
  advance(channel: string, position: string): boolean {
    const fed = this.channels.get(channel);
    const seen = fed?.seen;
    if (seen !== undefined && comparePositions(position, seen) <= 0) return false;
    if (fed) fed.seen = position;
    return true;
  }

  /** Where the channel's streams are, if known. */
  seen(channel: string): string | undefined {
    return this.channels.get(channel)?.seen;
  }
}
