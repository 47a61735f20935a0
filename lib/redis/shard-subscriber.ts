import type { Cluster, Redis } from 'ioredis';
import type { RedisConnectionStatus } from '../interfaces/sse-health.interface.js';
import { keySlot } from './key-slot.js';
import { RedisMessages } from './redis.messages.js';

/** What the connections carrying the shard channels tell the backend. */
export interface ShardSubscriberEvents {
  /** A message on a shard channel. */
  message(message: Buffer): void;
  /** A connection carrying subscriptions closed: what was published meanwhile may be missed. */
  lost(): void;
  /** The subscriptions can be made again (a connection is back, or its slots moved): catch up. */
  recovered(): void;
}

/**
 * The connections the channels' shard channels (sharded pub/sub) are subscribed on: the one
 * subscriber of a standalone Redis, or one connection per master of a Redis Cluster.
 */
export interface ShardSubscriber {
  /** Whether Redis can confirm a subscription to `shardChannel` now: its connection is up. */
  canSubscribe(shardChannel: string): boolean;
  /** Subscribes; resolves once Redis confirms it. */
  subscribe(shardChannel: string): Promise<unknown>;
  /** Unsubscribes; Redis runs it before any later subscription to the same channel. */
  unsubscribe(shardChannel: string): void;
  /**
   * Subscribes each of `shardChannels` again where it belongs now; resolves once Redis has
   * answered for all, with those it could not subscribe (each with its error).
   */
  resubscribe(shardChannels: readonly string[]): Promise<ReadonlyMap<string, Error>>;
  /** The state of the connections, the worst of them (for `health()`). */
  readonly status: RedisConnectionStatus;
  /** Starts telling `events`; called once. */
  listen(events: ShardSubscriberEvents): void;
  /** Closes its connections at once. */
  disconnect(): void;
}

/** What `health()` says of an ioredis client's `status`. */
export function connectionStatus(client: Redis | Cluster | undefined): RedisConnectionStatus {
  switch (client?.status) {
    case 'ready':
      return 'ready';
    case 'connect':
    case 'connecting':
      return 'connecting';
    case 'reconnecting':
      return 'reconnecting';
    default:
      return 'closed';
  }
}

/**
 * A standalone Redis: the shard channels share the one subscriber connection with the classic
 * ones (a standalone server takes both), which ioredis subscribes again after a reconnect.
 */
export class SingleShardSubscriber implements ShardSubscriber {
  constructor(private readonly subscriber: Redis) {}

  canSubscribe(): boolean {
    return this.subscriber.status === 'ready';
  }

  subscribe(shardChannel: string): Promise<unknown> {
    return this.subscriber.ssubscribe(shardChannel);
  }

  unsubscribe(shardChannel: string): void {
    this.subscriber.sunsubscribe(shardChannel).catch(() => undefined);
  }

  async resubscribe(shardChannels: readonly string[]): Promise<ReadonlyMap<string, Error>> {
    if (shardChannels.length === 0) return new Map();
    try {
      // One command: a standalone server does not require one slot of a SSUBSCRIBE's channels.
      await this.subscriber.ssubscribe(...shardChannels);
      return new Map();
    } catch (error) {
      return new Map(shardChannels.map((shardChannel) => [shardChannel, error as Error]));
    }
  }

  get status(): RedisConnectionStatus {
    return connectionStatus(this.subscriber);
  }

  listen(events: ShardSubscriberEvents): void {
    this.subscriber.on('smessageBuffer', (_channel: Buffer, message: Buffer) =>
      events.message(message),
    );
    this.subscriber.on('close', () => events.lost());
    this.subscriber.on('ready', () => events.recovered());
  }

  disconnect(): void {
    // The classic subscriber's connection: `RedisClients` closes it.
  }
}

/** How often, while a master's connection is down, the slots are read again for a failover. */
const FAILOVER_CHECK_MS = 500;

/** A master's connection, and whether it was lost since it was last ready. */
interface MasterConnection {
  readonly client: Redis;
  /** It was ready once: a subscription may wait for it only until then. */
  wasReady: boolean;
  /** Closed since it was last ready. */
  lost: boolean;
}

/**
 * A Redis Cluster: each shard channel is subscribed on a connection of its own to the master
 * that owns its slot (its messages come from there alone), one connection per master, made
 * when first needed. These connections do not subscribe again by themselves after a reconnect:
 * the catch-up calls `resubscribe()`, which reads the slots again first, so a channel whose
 * slot moved (a failover, a resharding) is subscribed on its new master. While a master's
 * connection is down, the slots are read every `FAILOVER_CHECK_MS`: once another master owns
 * its channels, the catch-up is started, which moves them there.
 */
export class ClusterShardSubscribers implements ShardSubscriber {
  private readonly masters = new Map<string, MasterConnection>();
  /** Each shard channel subscribed, and the master (`host:port`) it is subscribed on. */
  private readonly placed = new Map<string, string>();
  private events: ShardSubscriberEvents | undefined;
  private failoverTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * @param cluster the command connection, whose slot table says which master owns a slot
   * @param connect opens a connection to the master at `host:port`
   */
  constructor(
    private readonly cluster: Cluster,
    private readonly connect: (host: string, port: number) => Redis,
  ) {}

  canSubscribe(shardChannel: string): boolean {
    const master = this.masterOf(shardChannel);
    return master !== undefined && this.masters.get(master)?.lost !== true;
  }

  async subscribe(shardChannel: string): Promise<unknown> {
    const master = this.masterOf(shardChannel);
    if (master === undefined) throw new Error(RedisMessages.noMaster(shardChannel));
    this.placed.set(shardChannel, master);
    return this.master(master).client.ssubscribe(shardChannel);
  }

  unsubscribe(shardChannel: string): void {
    const master = this.placed.get(shardChannel);
    this.placed.delete(shardChannel);
    if (master !== undefined)
      this.masters
        .get(master)
        ?.client.sunsubscribe(shardChannel)
        .catch(() => undefined);
  }

  async resubscribe(shardChannels: readonly string[]): Promise<ReadonlyMap<string, Error>> {
    // Stale, a slot table sends channels to a master that lost their slots: they fail below.
    await this.refreshSlots().catch(() => undefined);
    const settled = await Promise.allSettled(
      shardChannels.map((shardChannel) => this.placeAgain(shardChannel)),
    );
    this.dropUnused();
    const failed = new Map<string, Error>();
    for (const [i, result] of settled.entries())
      if (result.status === 'rejected') failed.set(shardChannels[i] as string, result.reason);
    return failed;
  }

  /** Subscribes `shardChannel` on the master owning its slot now, moving it there if need be. */
  private async placeAgain(shardChannel: string): Promise<unknown> {
    const master = this.masterOf(shardChannel);
    const was = this.placed.get(shardChannel);
    if (was !== undefined && was !== master)
      this.masters
        .get(was)
        ?.client.sunsubscribe(shardChannel)
        .catch(() => undefined);
    if (master === undefined) {
      this.placed.delete(shardChannel);
      throw new Error(RedisMessages.noMaster(shardChannel));
    }
    this.placed.set(shardChannel, master);
    const connection = this.master(master);
    // Down since it was ready: ioredis would send it once reconnected, however long that takes.
    if (connection.lost) throw new Error(RedisMessages.masterDown(master));
    // One channel per command: a cluster refuses a SSUBSCRIBE whose channels span slots.
    return connection.client.ssubscribe(shardChannel);
  }

  get status(): RedisConnectionStatus {
    return worstStatus([...this.masters.values()].map(({ client }) => connectionStatus(client)));
  }

  listen(events: ShardSubscriberEvents): void {
    this.events = events;
  }

  disconnect(): void {
    this.closed = true;
    clearInterval(this.failoverTimer);
    for (const { client } of this.masters.values()) client.disconnect();
    this.masters.clear();
  }

  /** The master (`host:port`) owning the slot of `shardChannel`, as the slot table says now. */
  private masterOf(shardChannel: string): string | undefined {
    return this.cluster.slots[keySlot(shardChannel)]?.[0];
  }

  private master(key: string): MasterConnection {
    let connection = this.masters.get(key);
    if (connection) return connection;
    const split = key.lastIndexOf(':');
    const client = this.connect(key.slice(0, split), Number(key.slice(split + 1)));
    const made: MasterConnection = { client, wasReady: false, lost: false };
    connection = made;
    this.masters.set(key, made);
    client.on('smessageBuffer', (_channel: Buffer, message: Buffer) =>
      this.events?.message(message),
    );
    client.on('ready', () => {
      made.wasReady = true;
      if (!made.lost) return;
      made.lost = false;
      this.events?.recovered();
    });
    client.on('close', () => {
      if (!made.wasReady || made.lost || this.closed) return;
      made.lost = true;
      this.events?.lost();
      this.watchFailover();
    });
    return made;
  }

  /** While a master's connection is down, looks for another master taking over its channels. */
  private watchFailover(): void {
    this.failoverTimer ??= setInterval(() => void this.checkFailover(), FAILOVER_CHECK_MS);
    this.failoverTimer.unref();
  }

  private async checkFailover(): Promise<void> {
    const down = [...this.masters].filter(([, connection]) => connection.lost);
    if (down.length === 0 || this.closed) {
      clearInterval(this.failoverTimer);
      this.failoverTimer = undefined;
      return;
    }
    await this.refreshSlots().catch(() => undefined);
    const moved = [...this.placed].some(([shardChannel, master]) => {
      const now = this.masterOf(shardChannel);
      return this.masters.get(master)?.lost === true && now !== undefined && now !== master;
    });
    // What was published meanwhile is missed: the catch-up subscribes on the new master.
    if (moved) {
      this.events?.lost();
      this.events?.recovered();
    }
    this.dropUnused();
  }

  /** Closes the connections of nodes that are no longer masters and carry no subscription. */
  private dropUnused(): void {
    const masters = new Set(this.cluster.slots.map((owners) => owners[0]));
    const used = new Set(this.placed.values());
    for (const [key, { client }] of this.masters)
      if (!masters.has(key) && !used.has(key)) {
        client.disconnect();
        this.masters.delete(key);
      }
  }

  private refreshSlots(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.cluster.refreshSlotsCache((error) => (error ? reject(error) : resolve())),
    );
  }
}

/** Worse first: the status of several connections is the worst of theirs. */
const BY_SEVERITY: readonly RedisConnectionStatus[] = ['closed', 'reconnecting', 'connecting'];

/** The worst of `statuses`; `ready` if there are none. */
export function worstStatus(statuses: readonly RedisConnectionStatus[]): RedisConnectionStatus {
  return BY_SEVERITY.find((status) => statuses.includes(status)) ?? 'ready';
}
