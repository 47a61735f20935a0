import type { Logger } from '@nestjs/common';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import {
  SseBackendUnavailableError,
  SseShutdownError,
  SseUnknownEventIdError,
} from '../backends/index.js';
import type { ResolvedRedisBackendOptions } from './redis-backend-options.js';
import { RedisMessages } from './redis.messages.js';
import { FINISH_SCRIPT, PUBLISH_SCRIPT, READ_SCRIPT, type ReadStatus } from './redis-scripts.js';
import {
  ClusterShardSubscribers,
  SingleShardSubscriber,
  type ShardSubscriber,
} from './shard-subscriber.js';
import type { RawStreamEntry } from './stream-entry.js';

/** The backend's Lua scripts, as commands defined on the command connection. */
interface ScriptCommands {
  ssePublish(...args: Array<string | number>): Promise<string>;
  sseFinish(...args: Array<string | number>): Promise<number>;
  sseRead(...args: Array<string | number>): Promise<[ReadStatus, string, RawStreamEntry[]]>;
}

/** The command connection (a `Cluster` on a cluster), with the backend's Lua scripts on it. */
export type ScriptedRedis = (Redis | Cluster) & ScriptCommands;

/**
 * The connections a backend holds: commands (no offline queue), the subscriber of the classic
 * channels (the bus, the instance's own), and those of the channels' shard channels (on a
 * standalone Redis, the subscriber's connection too).
 */
export interface RedisConnections {
  readonly commands: ScriptedRedis;
  readonly subscriber: Redis | Cluster;
  readonly shards: ShardSubscriber;
}

/**
 * Opens the backend's connections to Redis and says what becomes of them: an outage is logged
 * once and its error kept for `health()`, and a command that fails rejects with the error an
 * application can act on.
 */
export class RedisClients {
  private opened = false;
  private outage = false;
  /** close() disconnected, abandoning the commands that had no answer yet. */
  private abandoned = false;
  private lastErrorMessage: string | undefined;

  constructor(
    private readonly options: ResolvedRedisBackendOptions,
    private readonly logger: Logger,
  ) {}

  /** The last error either connection reported, for `health()`. */
  get lastError(): string | undefined {
    return this.lastErrorMessage;
  }

  /** Connects all, or none: a failed boot leaves no client retrying in the background. */
  async open(): Promise<RedisConnections> {
    const { cluster } = this.options;
    const commands = cluster
      ? this.cluster({ enableOfflineQueue: false }, { enableOfflineQueue: false })
      : this.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    commands.defineCommand('ssePublish', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
    commands.defineCommand('sseFinish', { numberOfKeys: 1, lua: FINISH_SCRIPT });
    commands.defineCommand('sseRead', { numberOfKeys: 1, lua: READ_SCRIPT });
    const subscriber = cluster ? this.cluster({}, {}) : this.client({ autoResubscribe: true });
    const connected = await Promise.allSettled([this.connect(commands), this.connect(subscriber)]);
    const failure = connected.find((result) => result.status === 'rejected');
    if (failure) {
      commands.disconnect();
      subscriber.disconnect();
      throw failure.reason;
    }
    this.opened = true;
    this.abandoned = false;
    const shards =
      commands instanceof Cluster
        ? new ClusterShardSubscribers(commands, (host, port) =>
            // The catch-up subscribes again, on the master that owns each slot by then.
            this.client({ host, port, autoResubscribe: false }),
          )
        : new SingleShardSubscriber(subscriber as Redis);
    return { commands: commands as ScriptedRedis, subscriber, shards };
  }

  /** close() has begun: errors from here on are the connections going, not an outage. */
  closing(): void {
    this.opened = false;
  }

  /** Disconnects at once: commands still waiting for an answer fail with "Connection is closed". */
  abandon({ commands, subscriber, shards }: RedisConnections): void {
    this.opened = false;
    this.abandoned = true;
    shards.disconnect();
    subscriber.disconnect();
    commands.disconnect();
  }

  /** Runs a command for `operation`, turning a failure into the error the caller is promised. */
  async run<T>(operation: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof SseUnknownEventIdError) throw error;
      // Sent, but close() cut the connection before Redis answered: Redis may have run it.
      if (this.abandoned) throw new SseShutdownError(operation, true);
      throw new SseBackendUnavailableError(operation, error);
    }
  }

  /** A connection to one Redis: the URL's, or (with `extra.host`) a master of the cluster. */
  private client(extra: RedisOptions): Redis {
    const options = { ...this.nodeOptions(), ...extra };
    return this.watch(
      extra.host === undefined ? new Redis(this.options.url, options) : new Redis(options),
    );
  }

  private cluster(extra: ClusterOptions, node: RedisOptions): Cluster {
    const { cluster } = this.options;
    const nodes = cluster?.nodes ?? [];
    return this.watch(
      new Cluster([...nodes], {
        lazyConnect: true,
        // Keep trying while the cluster is away, as a standalone connection does.
        clusterRetryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
        ...(cluster?.options as ClusterOptions),
        ...extra,
        redisOptions: { ...this.nodeOptions(), ...node },
      }),
    );
  }

  /** Options of every connection to a Redis server. */
  private nodeOptions(): RedisOptions {
    const { tls, redis } = this.options;
    return {
      lazyConnect: true,
      connectTimeout: this.options.connectTimeoutMs,
      // Keep trying while Redis is away; local streams stay open meanwhile.
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
      // ioredis waits this long for a closing socket, on a timer that holds the process open.
      disconnectTimeout: 200,
      ...(tls === undefined || tls === false
        ? {}
        : { tls: (tls === true ? {} : tls) as RedisOptions['tls'] }),
      ...(redis as RedisOptions),
    };
  }

  private watch<T extends Redis | Cluster>(client: T): T {
    client.on('error', (error: Error) => this.onOutage(error));
    client.on('ready', () => this.onRecovery());
    return client;
  }

  private async connect(client: Redis | Cluster): Promise<void> {
    // connect() rejects with "Connection is closed"; the 'error' event has the actual reason.
    let reason: Error | undefined;
    const remember = (error: Error) => (reason ??= error);
    client.on('error', remember);
    // ioredis's connectTimeout ends at the TCP handshake: a server that accepts the connection
    // and never answers would hold the boot forever.
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.options.connectTimeoutMs;
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(RedisMessages.noAnswer(timeoutMs))), timeoutMs);
    });
    const connecting = client.connect();
    // Once given up on, it rejects when the client is disconnected: nobody waits for that.
    connecting.catch(() => undefined);
    try {
      await Promise.race([connecting, silent]);
    } catch (failure) {
      const error = reason ?? (failure as Error);
      const where = (this.options.cluster?.nodes.join(', ') ?? this.options.url).replace(
        /\/\/[^@]*@/g,
        '//',
      );
      throw new Error(RedisMessages.unreachable(where, error.message), { cause: error });
    } finally {
      clearTimeout(timer);
      client.off('error', remember);
    }
  }

  private onOutage(error: Error): void {
    this.lastErrorMessage = error.message;
    if (this.outage || !this.opened) return;
    this.outage = true;
    this.logger.warn(RedisMessages.lost(error.message));
  }

  private onRecovery(): void {
    if (!this.outage) return;
    this.outage = false;
    this.logger.log(RedisMessages.restored());
  }
}
