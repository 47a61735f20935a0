import { Logger } from '@nestjs/common';
import {
  comparePositions,
  frameText,
  instanceOfConnection,
  isPosition,
  SseChannelFinishedError,
  SseUnknownEventIdError,
  targetedFrame,
  type ConnectionFilter,
  type PreparedEvent,
  type PublishResult,
  type SseBackend,
  type SseBackendContext,
  type SseClusterStats,
  type SseConnectionInfo,
  type SseHistoryEntry,
  type SsePublishRequest,
  type SseReplayRequest,
  type SseReplayResult,
} from '../backends/index.js';
import type { RedisBackendHealth } from '../interfaces/sse-health.interface.js';
import { SseMessages } from '../sse.messages.js';
import { encodeBusMessage, openEventHeader, openFinishHeader } from './bus-message.js';
import { BusReader } from './bus-reader.js';
import { CatchUp } from './catch-up.js';
import { ChannelFeed, type FedChannel } from './channel-feed.js';
import { ChannelStore } from './channel-store.js';
import { ClusterDirectory } from './cluster-directory.js';
import { OwnDeliveries } from './own-deliveries.js';
import {
  resolveRedisBackendOptions,
  type RedisBackendOptions,
  type ResolvedRedisBackendOptions,
} from './redis-backend-options.js';
import { RedisClients, type RedisConnections } from './redis-clients.js';
import { RedisKeys } from './redis-keys.js';
import { FINISHED_REPLY } from './redis-scripts.js';
import { RedisMessages } from './redis.messages.js';
import { connectionStatus, worstStatus } from './shard-subscriber.js';
import { entryFrame, historyEntry } from './stream-entry.js';

/** What the backend holds while attached. */
interface Attached {
  readonly context: SseBackendContext;
  readonly connections: RedisConnections;
  readonly store: ChannelStore;
  readonly directory: ClusterDirectory;
  readonly feed: ChannelFeed;
  readonly reader: BusReader;
  /** Stops the module telling the feed which channels have local streams. */
  readonly unwatch: () => void;
}

/**
 * Carries broadcasts, targeted sends and history across every instance of the application
 * through Redis. Import it from `nestjs-sse-channels/redis` (it needs the `ioredis` package);
 * apps on the in-memory default never load either.
 *
 * - Ids are Redis stream ids, assigned atomically per channel by one Lua script that also stores
 *   the event (bounded history, Redis Streams) and publishes it on the channel's shard channel.
 * - An instance listens only to the channels it has local streams on, the publisher included,
 *   so all see a channel's events in the order Redis assigned them, and a client can resume on
 *   any instance with `Last-Event-ID`. Sends to users and list requests go on one bus.
 * - On one Redis (`url`, or Sentinel through `redis`) or a Redis Cluster (`cluster`): a
 *   channel's keys and shard channel share one hash slot, and no key is shared by channels.
 * - Each instance reports its connection counts with a time-to-live; a crashed one drops out.
 * - While Redis is down, operations reject with `SseBackendUnavailableError`, local streams stay
 *   open with heartbeats, and the clients reconnect and resubscribe when it returns.
 * - After a lost subscription, an instance catches up from the streams: its connected clients
 *   get what was published meanwhile without reconnecting (bounded: see `catchUpBufferBytes`).
 *
 * This class is the backend's operations; its parts each do one job: `RedisClients` (the
 * connections and outages), `ChannelStore` (the channels' keys, through the Lua scripts),
 * `BusReader` (what pub/sub brings), `CatchUp` (what a lost subscription missed) and
 * `ClusterDirectory` (which instances live, and what they serve).
 *
 * @example
 * SseModule.forRoot({ backend: new RedisBackend({ url: process.env.REDIS_URL }) })
 */
export class RedisBackend implements SseBackend {
  private readonly options: ResolvedRedisBackendOptions;
  private readonly keys: RedisKeys;
  private readonly logger = new Logger('SseModule');
  private readonly clients: RedisClients;
  private attached: Attached | undefined;
  private readonly own = new OwnDeliveries();
  /** The subscriber's connection closed since a catch-up last started a pass. */
  private subscriptionLost = false;
  /** Redis confirmed the subscription since the subscriber last connected (for `health()`). */
  private subscribed = false;
  private catchingUp: Promise<void> | undefined;
  /** Since attached, only growing (metrics expose them as counters): see `health()`. */
  private catchUps = 0;
  private resyncs = 0;

  constructor(options: RedisBackendOptions = {}) {
    this.options = resolveRedisBackendOptions(options);
    this.keys = new RedisKeys(this.options.keyPrefix);
    this.clients = new RedisClients(this.options, this.logger);
  }

  async attach(context: SseBackendContext): Promise<void> {
    const connections = await this.clients.open();
    const { commands, subscriber, shards } = connections;
    const { instanceId, delivery } = context;
    const store = new ChannelStore(
      commands,
      this.keys,
      this.options.streamTtlMs,
      context.history.maxAgeMs ?? 0,
    );
    const directory = new ClusterDirectory({
      commands,
      clients: this.clients,
      keys: this.keys,
      instanceId,
      delivery,
      presenceIntervalMs: this.options.presenceIntervalMs,
      listTimeoutMs: this.options.listTimeoutMs,
    });
    const feed = new ChannelFeed(shards, this.keys, this.own);
    const reader = new BusReader({
      delivery,
      own: this.own,
      directory,
      feed,
      instanceId,
      logger: this.logger,
    });
    const unwatch = delivery.watchChannels(feed);
    this.attached = { context, connections, store, directory, feed, reader, unwatch };
    // The messages of one read arrive in one tick: each socket takes their frames in one system
    // call (see TickFlush).
    const receive = (message: Buffer) => {
      if (this.attached) reader.receive(message);
    };
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => receive(message));
    shards.listen({
      message: receive,
      lost: () => {
        this.subscriptionLost = true;
        this.subscribed = false;
        feed.interrupt();
      },
      recovered: () => this.resume(),
    });
    await this.confirmSubscriptions();
    await directory.start();
  }

  async publish(request: SsePublishRequest): Promise<PublishResult> {
    const { channel } = request;
    const header = openEventHeader(channel, request.exclude, request.conflateKey, this.instanceId);
    const { store, feed } = this.parts;
    const listening = feed.confirmedSubscription(channel);
    const position = await this.clients.run(SseMessages.operationOn('publish', channel), () =>
      store.append(channel, request.event, request.historySize, header, 0),
    );
    if (position === FINISHED_REPLY) throw new SseChannelFinishedError(channel);
    return { id: position, delivered: await this.ownDeliveries(channel, position, listening) };
  }

  async sendToConnection(
    connectionId: string,
    event: PreparedEvent,
    id: string | undefined,
  ): Promise<number> {
    const frame = frameText(event, id);
    const instance = instanceOfConnection(connectionId);
    if (instance === this.instanceId)
      return this.context.delivery.toConnection(connectionId, targetedFrame(frame));
    const message = encodeBusMessage({ kind: 'to-connection', connectionId, frame });
    // Reaches the instance serving the connection, if it is alive: 1, else 0. A shard channel:
    // on a cluster, a classic publish counts only the receivers on the node that ran it.
    const receivers = await this.clients.run(SseMessages.operationOn('sendTo', connectionId), () =>
      this.parts.connections.commands.spublish(this.keys.instance(instance), message),
    );
    return Number(receivers);
  }

  async sendToUser(userId: string, event: PreparedEvent, id: string | undefined): Promise<number> {
    const frame = frameText(event, id);
    const message = encodeBusMessage({ kind: 'to-user', userId, origin: this.instanceId, frame });
    await this.clients.run(SseMessages.operationOn('sendToUser', userId), () =>
      this.parts.connections.commands.publish(this.keys.bus, message),
    );
    // Other instances deliver to their own connections of the user.
    return this.context.delivery.toUser(userId, targetedFrame(frame));
  }

  /**
   * Reads once the subscriptions of the stream's channels are confirmed (the stream joined them
   * before asking): what is published after the read arrives on them.
   */
  async replay({ channels, from, last }: SseReplayRequest): Promise<SseReplayResult> {
    const { store, feed } = this.parts;
    const reads = await this.clients.run(RedisMessages.replayOperation(), async () => {
      await feed.confirmed(channels);
      return Promise.all(channels.map((channel, i) => store.read(channel, from?.[i] ?? '', last)));
    });
    for (const [i, read] of reads.entries()) feed.replayed(channels[i] as string, read.position);
    const positions = reads.map((read) => read.position);
    const failed = reads.find((read) => read.status !== 'ok');
    if (failed)
      return { kind: 'reset', reason: failed.status as 'unknown-id' | 'evicted', positions };
    const events = reads.flatMap((read, i) =>
      read.entries.map((entry) => ({ entry, frame: entryFrame(channels[i] as string, entry) })),
    );
    // Each channel's events are in order; across channels, by position (Redis's clock): the
    // stream's id holds a position per channel, so any order would resume right.
    if (channels.length > 1)
      events.sort((a, b) => comparePositions(a.entry.position, b.entry.position));
    const kept = from === undefined ? events.slice(-last) : events;
    return { kind: 'events', frames: kept.map((event) => event.frame), positions };
  }

  async history(
    channel: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<SseHistoryEntry[]> {
    if (afterId !== undefined && !isPosition(afterId))
      throw new SseUnknownEventIdError(channel, 'unknown-id');
    const read = await this.clients.run(SseMessages.operationOn('history', channel), () =>
      this.parts.store.read(channel, afterId ?? '', limit),
    );
    if (read.status !== 'ok') throw new SseUnknownEventIdError(channel, read.status);
    return read.entries.map(historyEntry);
  }

  async finish(
    channel: string,
    lastEvent: PreparedEvent | undefined,
    ttlMs: number,
  ): Promise<number> {
    const operation = SseMessages.operationOn('finish', channel);
    const { store, feed } = this.parts;
    if (lastEvent) {
      const header = openFinishHeader(channel, this.instanceId);
      const listening = feed.confirmedSubscription(channel);
      // -1: the script keeps the final event within the history size the channel's events
      // recorded, as the in-memory backend keeps it in the channel's ring.
      const position = await this.clients.run(operation, () =>
        store.append(channel, lastEvent, -1, header, ttlMs),
      );
      return this.ownDeliveries(channel, position, listening);
    }
    const message = encodeBusMessage({ kind: 'finish', channel, origin: this.instanceId });
    await this.clients.run(operation, () => store.markFinished(channel, ttlMs, message));
    return this.context.delivery.finishChannel(channel, undefined);
  }

  async isFinished(channel: string): Promise<boolean> {
    try {
      return await this.parts.store.isFinished(channel);
    } catch {
      // During an outage streams still open: refusing every client would be worse.
      return false;
    }
  }

  clusterStats(): Promise<SseClusterStats> {
    return this.parts.directory.stats();
  }

  clusterList(filter: ConnectionFilter): Promise<SseConnectionInfo[]> {
    return this.parts.directory.list(filter);
  }

  /**
   * Available while both connections are ready and Redis has confirmed the subscription (after
   * a reconnect, the catch-up confirms it before reading what was missed). Read from the
   * clients' state, with no command sent: a Redis that accepts connections but does not answer
   * shows only once ioredis gives up on it.
   */
  health(): RedisBackendHealth {
    const commands = connectionStatus(this.attached?.connections.commands);
    const connections = this.attached?.connections;
    const subscriber = connections
      ? worstStatus([connectionStatus(connections.subscriber), connections.shards.status])
      : 'closed';
    const subscribed = this.attached !== undefined && this.subscribed;
    const available = commands === 'ready' && subscriber === 'ready' && subscribed;
    const lastError = this.clients.lastError;
    const reason = available
      ? undefined
      : this.attached
        ? RedisMessages.unavailable(commands, subscriber, subscribed, lastError)
        : RedisMessages.detached();
    return {
      available,
      ...(reason !== undefined && { reason }),
      ...(lastError !== undefined && { lastError }),
      commands,
      subscriber,
      subscribed,
      catchUp: {
        inProgress: this.catchingUp !== undefined,
        started: this.catchUps,
        resyncs: this.resyncs,
      },
    };
  }

  async close(signal?: AbortSignal): Promise<void> {
    this.own.clear();
    const attached = this.attached;
    if (!attached) return;
    this.attached = undefined;
    attached.unwatch();
    attached.reader.release();
    this.clients.closing();
    // A Redis that does not answer must not hold app.close() past its time.
    await untilAborted(attached.directory.leave(), signal);
    this.clients.abandon(attached.connections);
  }

  private get parts(): Attached {
    if (!this.attached) throw new Error(SseMessages.backendNotAttached('RedisBackend'));
    return this.attached;
  }

  private get context(): SseBackendContext {
    return this.parts.context;
  }

  private get instanceId(): string {
    return this.parts.context.instanceId;
  }

  /**
   * Subscribes to the bus, this instance's own channel and the channels listened to (their
   * shard channels); resolves once Redis has answered, with the channels it could not
   * subscribe. Fails if it could not subscribe the instance's own channel.
   */
  private async confirmSubscriptions(): Promise<ReadonlyMap<string, Error>> {
    const { connections, context, feed } = this.parts;
    const own = this.keys.instance(context.instanceId);
    const channels = new Map(
      feed.list().map((channel) => [this.keys.channelEvents(channel), channel]),
    );
    const [, failed] = await Promise.all([
      connections.subscriber.subscribe(this.keys.bus),
      connections.shards.resubscribe([own, ...channels.keys()]),
    ]);
    const ownFailure = failed.get(own);
    if (ownFailure) throw ownFailure;
    const unsubscribed = new Map<string, Error>();
    for (const [shardChannel, error] of failed)
      unsubscribed.set(channels.get(shardChannel) as string, error);
    this.subscribed = unsubscribed.size === 0;
    return unsubscribed;
  }

  /**
   * How many local streams took our event at `position`, once it comes back: it does if the
   * channel's subscription was confirmed before the publish went out and still is. Otherwise
   * it may never come back (the instance listened to the channel too late, or stopped), and the
   * count is 0: at most a stream that joined meanwhile took it, from the pub/sub or its replay.
   */
  private ownDeliveries(
    channel: string,
    position: string,
    listening: FedChannel | undefined,
  ): Promise<number> {
    return listening !== undefined && this.parts.feed.stillListening(channel, listening)
      ? this.own.wait(channel, position)
      : Promise.resolve(0);
  }

  /** The subscriber is ready again: after a lost subscription, catch up (one catch-up at a time). */
  private resume(): void {
    const attached = this.attached;
    if (!this.subscriptionLost || this.catchingUp || !attached) return;
    this.catchUps++;
    const catchUp = new CatchUp({
      store: attached.store,
      feed: attached.feed,
      reader: attached.reader,
      delivery: attached.context.delivery,
      own: this.own,
      logger: this.logger,
      catchUpBufferBytes: this.options.catchUpBufferBytes,
      instanceId: attached.context.instanceId,
      confirmSubscriptions: () => this.confirmSubscriptions(),
      takeLost: () => {
        const lost = this.subscriptionLost;
        this.subscriptionLost = false;
        return lost;
      },
    });
    this.catchingUp = catchUp
      .run()
      .then((ended) => void (this.resyncs += ended))
      .finally(() => (this.catchingUp = undefined));
  }
}

/** Resolves when `work` settles, or when `signal` aborts if that comes first. */
function untilAborted(work: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return work.then(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void work.then(done);
  });
}
