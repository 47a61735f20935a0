import type { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import {
  SseBackendUnavailableError,
  SseShutdownError,
  SseUnknownEventIdError,
} from '../backends/index.js';
import type { RedisConnectionStatus } from '../interfaces/sse-health.interface.js';
import type { ResolvedRedisBackendOptions } from './redis-backend-options.js';
import { RedisMessages } from './redis.messages.js';
import { FINISH_SCRIPT, PUBLISH_SCRIPT, READ_SCRIPT, type ReadStatus } from './redis-scripts.js';
import type { RawStreamEntry } from './stream-entry.js';

/** The command connection, with the backend's Lua scripts defined on it. */
export interface ScriptedRedis extends Redis {
  ssePublish(...args: Array<string | number>): Promise<string>;
  sseFinish(...args: Array<string | number>): Promise<number>;
  sseRead(...args: Array<string | number>): Promise<[ReadStatus, string, RawStreamEntry[]]>;
}

/** The two connections a backend holds: commands (no offline queue), and the subscriber. */
export interface RedisConnections {
  readonly commands: ScriptedRedis;
  readonly subscriber: Redis;
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

  /** Connects both, or neither: a failed boot leaves no client retrying in the background. */
  async open(): Promise<RedisConnections> {
    const commands = this.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    commands.defineCommand('ssePublish', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
    commands.defineCommand('sseFinish', { numberOfKeys: 1, lua: FINISH_SCRIPT });
    commands.defineCommand('sseRead', { numberOfKeys: 1, lua: READ_SCRIPT });
    const subscriber = this.client({ autoResubscribe: true });
    const connected = await Promise.allSettled([this.connect(commands), this.connect(subscriber)]);
    const failure = connected.find((result) => result.status === 'rejected');
    if (failure) {
      commands.disconnect();
      subscriber.disconnect();
      throw failure.reason;
    }
    this.opened = true;
    this.abandoned = false;
    return { commands: commands as ScriptedRedis, subscriber };
  }

  /** close() has begun: errors from here on are the connections going, not an outage. */
  closing(): void {
    this.opened = false;
  }

  /** Disconnects at once: commands still waiting for an answer fail with "Connection is closed". */
  abandon({ commands, subscriber }: RedisConnections): void {
    this.opened = false;
    this.abandoned = true;
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

  private client(extra: RedisOptions): Redis {
    const { url, tls, redis } = this.options;
    const client = new Redis(url, {
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
      ...extra,
    });
    client.on('error', (error: Error) => this.onOutage(error));
    client.on('ready', () => this.onRecovery());
    return client;
  }

  private async connect(client: Redis): Promise<void> {
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
      const where = this.options.url.replace(/\/\/[^@]*@/, '//');
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

/** What `health()` says of an ioredis client's `status`. */
export function connectionStatus(client: Redis | undefined): RedisConnectionStatus {
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
