import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type {
  SseBackend,
  SseBackendContext,
  SsePublishRequest,
  SseReplayRequest,
  SseReplayResult,
} from '../backends/sse-backend.interface.js';
import type { ConnectionFilter } from '../connection/connection-pool.js';
import { comparePositions, type OutboundFrame } from '../connection/outbound-frame.js';
import { SseBackendUnavailableError } from '../errors/sse-backend-unavailable.error.js';
import { SseUnknownEventIdError } from '../errors/sse-unknown-event-id.error.js';
import type { SseHistoryEntry } from '../interfaces/history.interface.js';
import type { PublishResult } from '../interfaces/publish.interface.js';
import type {
  SseClusterStats,
  SseConnectionInfo,
} from '../interfaces/sse-connection-info.interface.js';
import { SseMessages } from '../sse.messages.js';
import { frameText, type PreparedEvent } from '../wire/event-encoder.js';
import { readFrame } from '../wire/frame-reader.js';
import {
  decodeBusMessage,
  encodeBusMessage,
  openEventHeader,
  openFinishHeader,
  type BusHeader,
} from './bus-message.js';
import {
  resolveRedisBackendOptions,
  type RedisBackendOptions,
  type ResolvedRedisBackendOptions,
} from './redis-backend-options.js';
import { RedisKeys } from './redis-keys.js';
import { FINISH_SCRIPT, PUBLISH_SCRIPT } from './redis-scripts.js';

/** A stream entry as ioredis returns it: `[id, [field, value, ...]]`. */
type StreamEntry = [string, string[]];

/** Where a client's event id was found. */
interface Located {
  readonly channel: string;
  readonly entry: StreamEntry;
}

interface ScriptedRedis extends Redis {
  ssePublish(...args: Array<string | number>): Promise<string>;
  sseFinish(...args: Array<string | number>): Promise<number>;
}

/** How long a publish waits to see its own event delivered locally before reporting 0. */
const OWN_DELIVERY_TIMEOUT_MS = 5_000;
/** Bound on deliveries seen before their publish call returned (they are normally claimed at once). */
const MAX_EARLY_DELIVERIES = 10_000;
const STREAM_ID = /^\d+-\d+$/;
/** Channels whose last delivered position is remembered for catch-up; the oldest is forgotten. */
const MAX_TRACKED_CHANNELS = 100_000;
const SCAN_BATCH = 500;

/**
 * Carries broadcasts, targeted sends and history across every instance of the application
 * through Redis. Import it from `nestjs-sse-channels/redis` (it needs the `ioredis` package);
 * apps on the in-memory default never load either.
 *
 * - Ids are Redis stream ids, assigned atomically per channel by one Lua script that also stores
 *   the event (bounded history, Redis Streams) and publishes it on one pub/sub bus.
 * - Every instance, the publisher included, delivers from that bus, so all see events in the
 *   order Redis assigned them, and a client can resume on any instance with `Last-Event-ID`.
 * - Each instance reports its connection counts with a time-to-live; a crashed one drops out.
 * - While Redis is down, operations reject with `SseBackendUnavailableError`, local streams stay
 *   open with heartbeats, and the clients reconnect and resubscribe when it returns.
 *
 * @example
 * SseModule.forRoot({ backend: new RedisBackend({ url: process.env.REDIS_URL }) })
 */
export class RedisBackend implements SseBackend {
  private readonly options: ResolvedRedisBackendOptions;
  private readonly keys: RedisKeys;
  private readonly logger = new Logger('SseModule');
  private attached:
    { context: SseBackendContext; commands: ScriptedRedis; subscriber: Redis } | undefined;
  private presenceTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Publishes waiting to see their event delivered here, by stream position. */
  private readonly waiting = new Map<
    string,
    { resolve: (delivered: number) => void; deadline: number }
  >();
  /** Deliveries of our own events seen before their publish call returned. */
  private readonly early = new Map<string, number>();
  private readonly lists = new Map<string, (infos: SseConnectionInfo[]) => void>();
  /** Per channel with local subscribers, the last position delivered here (bounded, see below). */
  private readonly delivered = new Map<string, string>();
  /** Bus messages held while a catch-up after a lost subscription runs. */
  private held: Buffer[] | undefined;
  private subscriptionLost = false;
  private outage = false;

  constructor(options: RedisBackendOptions = {}) {
    this.options = resolveRedisBackendOptions(options);
    this.keys = new RedisKeys(this.options.keyPrefix);
  }

  async attach(context: SseBackendContext): Promise<void> {
    const commands = this.client({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    }) as ScriptedRedis;
    commands.defineCommand('ssePublish', { numberOfKeys: 3, lua: PUBLISH_SCRIPT });
    commands.defineCommand('sseFinish', { numberOfKeys: 1, lua: FINISH_SCRIPT });
    const subscriber = this.client({ autoResubscribe: true });
    const connected = await Promise.allSettled([this.connect(commands), this.connect(subscriber)]);
    const failure = connected.find((result) => result.status === 'rejected');
    if (failure) {
      // Neither client may keep retrying in the background of a failed boot.
      commands.disconnect();
      subscriber.disconnect();
      throw failure.reason;
    }
    this.attached = { context, commands, subscriber };
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.receive(message));
    subscriber.on('close', () => (this.subscriptionLost = true));
    subscriber.on('ready', () => void this.catchUp());
    await subscriber.subscribe(this.keys.bus, this.keys.instance(context.instanceId));
    await this.reportPresence();
    this.presenceTimer = setInterval(
      () => void this.reportPresence(),
      this.options.presenceIntervalMs,
    ).unref();
  }

  async publish(request: SsePublishRequest): Promise<PublishResult> {
    const { channel } = request;
    const header = openEventHeader(channel, request.exclude, request.conflateKey, this.instanceId);
    const position = await this.run(`publish to "${channel}"`, () =>
      this.script(channel, request.event, request.id, request.historySize, header, 0),
    );
    return { id: request.id ?? position, delivered: await this.ownDelivery(position) };
  }

  async sendToConnection(
    connectionId: string,
    event: PreparedEvent,
    id: string | undefined,
  ): Promise<number> {
    const frame = frameText(event, id);
    const instance = connectionId.slice(0, connectionId.lastIndexOf('-'));
    if (instance === this.instanceId) {
      return this.context.delivery.toConnection(connectionId, {
        bytes: Buffer.from(frame),
        isEvent: true,
      });
    }
    // Reaches the instance serving the connection, if it is alive: 1, else 0.
    return this.run(`sendTo("${connectionId}")`, () =>
      this.commands.publish(
        this.keys.instance(instance),
        encodeBusMessage({ k: 'c', id: connectionId }, frame),
      ),
    );
  }

  async sendToUser(userId: string, event: PreparedEvent, id: string | undefined): Promise<number> {
    const frame = frameText(event, id);
    const message = encodeBusMessage({ k: 'u', u: userId, o: this.instanceId }, frame);
    await this.run(`sendToUser("${userId}")`, () => this.commands.publish(this.keys.bus, message));
    // Other instances deliver to their own connections of the user.
    return this.context.delivery.toUser(userId, { bytes: Buffer.from(frame), isEvent: true });
  }

  async replay(request: SseReplayRequest): Promise<SseReplayResult> {
    const { channels } = request;
    const found = await this.run('history replay', () => this.replayEntries(request));
    if ('reason' in found) return { kind: 'reset', reason: found.reason };
    const after: Record<string, string> = {};
    const merged: Array<{ channel: string; entry: StreamEntry }> = [];
    channels.forEach((channel, index) => {
      const entries = found.lists[index] ?? [];
      for (const entry of entries) merged.push({ channel, entry });
      // Per channel, the newest position the replay covered (for the client's own channel, at
      // least the event it named).
      const last =
        entries.at(-1)?.[0] ??
        (channel === found.found?.channel ? found.found.entry[0] : undefined);
      if (last !== undefined) after[channel] = last;
    });
    // Stream ids order one channel; the global sequence orders several.
    if (channels.length > 1) merged.sort((a, b) => sequenceOf(a.entry) - sequenceOf(b.entry));
    const frames = merged
      .slice(request.lastEventId === undefined ? -request.last : 0)
      .map(({ entry }): OutboundFrame => ({
        bytes: Buffer.from(entryFrame(entry)),
        isEvent: true,
      }));
    return { kind: 'events', frames, after };
  }

  async history(
    channel: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<SseHistoryEntry[]> {
    const key = this.keys.history(channel);
    const entries = await this.run(`history of "${channel}"`, async () => {
      if (afterId === undefined)
        return (
          (await this.commands.xrevrange(key, '+', '-', 'COUNT', limit)) as StreamEntry[]
        ).reverse();
      const located = await this.locate([channel], afterId);
      if ('reason' in located) return located;
      return (await this.commands.xrange(
        key,
        `(${located.entry[0]}`,
        '+',
        'COUNT',
        limit,
      )) as StreamEntry[];
    });
    if (!Array.isArray(entries)) throw new SseUnknownEventIdError(channel, entries.reason);
    return entries.map((entry) => readFrame(eventIdOf(entry), entryFrame(entry)));
  }

  async finish(
    channel: string,
    lastEvent: PreparedEvent | undefined,
    ttlMs: number,
  ): Promise<number> {
    const operation = `finish("${channel}")`;
    if (lastEvent) {
      const header = openFinishHeader(channel, this.instanceId);
      // -1: the script keeps the final event within the history size the channel's events
      // recorded, as the in-memory backend keeps it in the channel's ring.
      const position = await this.run(operation, () =>
        this.script(channel, lastEvent, undefined, -1, header, ttlMs),
      );
      return this.ownDelivery(position);
    }
    const message = encodeBusMessage({ k: 'f', c: channel, o: this.instanceId });
    await this.run(operation, () =>
      this.commands.sseFinish(this.keys.finished(channel), ttlMs, this.keys.bus, message),
    );
    return this.context.delivery.finishChannel(channel, undefined);
  }

  async isFinished(channel: string): Promise<boolean> {
    try {
      return (await this.commands.exists(this.keys.finished(channel))) === 1;
    } catch {
      // During an outage streams still open: refusing every client would be worse.
      return false;
    }
  }

  async clusterStats(): Promise<SseClusterStats> {
    const others = await this.otherInstances();
    const reports =
      others.length === 0
        ? []
        : await this.run('cluster stats', () =>
            this.commands.mget(...others.map((id) => this.keys.presence(id))),
          );
    const totals = { instances: 1, ...cloneSnapshot(this.context.delivery.snapshot()) };
    for (const report of reports) {
      if (report === null) continue;
      const snapshot = JSON.parse(report) as ReturnType<typeof cloneSnapshot>;
      totals.instances++;
      totals.connections += snapshot.connections;
      addCounts(totals.channels, snapshot.channels);
      addCounts(totals.users, snapshot.users);
    }
    return totals;
  }

  async clusterList(filter: ConnectionFilter): Promise<SseConnectionInfo[]> {
    const local = this.context.delivery.list(filter);
    const others = await this.otherInstances();
    if (others.length === 0) return local;
    const request = randomBytes(8).toString('hex');
    const answers: SseConnectionInfo[][] = [];
    const complete = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.options.listTimeoutMs);
      this.lists.set(request, (infos) => {
        answers.push(infos);
        if (answers.length < others.length) return;
        clearTimeout(timer);
        resolve();
      });
    });
    const message = encodeBusMessage({ k: 'q', r: request, o: this.instanceId, f: filter });
    await this.run('cluster list', () => this.commands.publish(this.keys.bus, message));
    await complete;
    this.lists.delete(request);
    return [...local, ...answers.flat().map(revive)];
  }

  async close(): Promise<void> {
    clearInterval(this.presenceTimer);
    clearInterval(this.sweepTimer);
    for (const { resolve } of this.waiting.values()) resolve(0);
    this.waiting.clear();
    const attached = this.attached;
    if (!attached) return;
    this.attached = undefined;
    // Leave at once rather than when the report expires; best effort if Redis is down.
    await attached.commands
      .multi()
      .del(this.keys.presence(attached.context.instanceId))
      .zrem(this.keys.instances, attached.context.instanceId)
      .exec()
      .catch(() => undefined);
    attached.subscriber.disconnect();
    attached.commands.disconnect();
  }

  private get context(): SseBackendContext {
    if (!this.attached) throw new Error(SseMessages.redisNotAttached());
    return this.attached.context;
  }

  private get commands(): ScriptedRedis {
    if (!this.attached) throw new Error(SseMessages.redisNotAttached());
    return this.attached.commands;
  }

  private get instanceId(): string {
    return this.context.instanceId;
  }

  /** Runs the publish script: stores, trims and publishes in one round trip; returns the position. */
  private script(
    channel: string,
    event: PreparedEvent,
    id: string | undefined,
    historySize: number,
    header: string,
    finishedTtlMs: number,
  ): Promise<string> {
    return this.commands.ssePublish(
      this.keys.history(channel),
      this.keys.finished(channel),
      this.keys.sequence,
      historySize,
      this.options.streamTtlMs,
      this.context.history.maxAgeMs ?? 0,
      id ?? '',
      event.head,
      event.tail,
      this.keys.bus,
      header,
      finishedTtlMs,
    );
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
    try {
      await client.connect();
    } catch (failure) {
      const error = reason ?? (failure as Error);
      const where = this.options.url.replace(/\/\/[^@]*@/, '//');
      throw new Error(SseMessages.redisUnreachable(where, error.message), { cause: error });
    } finally {
      client.off('error', remember);
    }
  }

  private onOutage(error: Error): void {
    if (this.outage || !this.attached) return;
    this.outage = true;
    this.logger.warn(SseMessages.redisLost(error.message));
  }

  private onRecovery(): void {
    if (!this.outage) return;
    this.outage = false;
    this.logger.log(SseMessages.redisRestored());
  }

  private async run<T>(operation: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof SseUnknownEventIdError) throw error;
      throw new SseBackendUnavailableError(operation, error);
    }
  }

  /** The entries to replay, per channel; or why the client's id cannot be found. */
  private async replayEntries(
    request: SseReplayRequest,
  ): Promise<{ lists: StreamEntry[][]; found?: Located } | { reason: 'unknown-id' | 'evicted' }> {
    const keys = request.channels.map((channel) => this.keys.history(channel));
    if (request.lastEventId === undefined) {
      const newest = await Promise.all(
        keys.map((key) => this.commands.xrevrange(key, '+', '-', 'COUNT', request.last)),
      );
      return { lists: (newest as StreamEntry[][]).map((entries) => entries.reverse()) };
    }
    const found = await this.locate(request.channels, request.lastEventId);
    if ('reason' in found) return found;
    // Stream ids only order one channel. In the others, events published after the client's
    // are those with a higher global sequence; they cannot predate its millisecond.
    const [since] = found.entry[0].split('-');
    const lists = await Promise.all(
      request.channels.map(async (channel, index) => {
        const key = keys[index] as string;
        if (channel === found.channel)
          return (await this.commands.xrange(key, `(${found.entry[0]}`, '+')) as StreamEntry[];
        const candidates = (await this.commands.xrange(key, `${since}-0`, '+')) as StreamEntry[];
        return candidates.filter((entry) => sequenceOf(entry) > sequenceOf(found.entry));
      }),
    );
    return { lists, found };
  }

  /** The entry with event id `id` in one of the channels' streams, or why there is none. */
  private async locate(
    channels: readonly string[],
    id: string,
  ): Promise<Located | { reason: 'unknown-id' | 'evicted' }> {
    if (STREAM_ID.test(id)) {
      for (const channel of channels) {
        const [hit] = (await this.commands.xrange(
          this.keys.history(channel),
          id,
          id,
        )) as StreamEntry[];
        if (hit) return { channel, entry: hit };
      }
      // An id older than everything a channel keeps was evicted by the history bounds.
      for (const channel of channels) {
        const [oldest] = (await this.commands.xrange(
          this.keys.history(channel),
          '-',
          '+',
          'COUNT',
          1,
        )) as StreamEntry[];
        if (oldest && comparePositions(id, oldest[0]) < 0) return { reason: 'evicted' };
      }
      return { reason: 'unknown-id' };
    }
    // An id the publisher chose: look for it, newest first, in bounded batches.
    for (const channel of channels) {
      let end = '+';
      for (;;) {
        const batch = (await this.commands.xrevrange(
          this.keys.history(channel),
          end,
          '-',
          'COUNT',
          SCAN_BATCH,
        )) as StreamEntry[];
        const hit = batch.find((entry) => entry[1][1] === id);
        if (hit) return { channel, entry: hit };
        if (batch.length < SCAN_BATCH) break;
        end = `(${(batch.at(-1) as StreamEntry)[0]}`;
      }
    }
    return { reason: 'unknown-id' };
  }

  /** Handles one message from the bus or this instance's channel; a bad one is logged, never thrown. */
  private receive(message: Buffer): void {
    if (this.held) {
      this.held.push(message);
      return;
    }
    this.handle(message);
  }

  private handle(message: Buffer): void {
    let decoded: { header: BusHeader; frame: Buffer };
    try {
      decoded = decodeBusMessage(message);
    } catch (error) {
      this.logger.error(SseMessages.redisBadMessage((error as Error).message));
      return;
    }
    const { header, frame } = decoded;
    const delivery = this.context.delivery;
    switch (header.k) {
      case 'e': {
        // Already delivered by a catch-up (the bus may still bring it once the subscription is back).
        const last = this.delivered.get(header.c);
        if (last !== undefined && comparePositions(header.p, last) <= 0) return;
        const outbound: OutboundFrame = {
          bytes: frame,
          isEvent: true,
          channel: header.c,
          position: header.p,
          conflateKey: header.ck,
        };
        const delivered = delivery.toChannel(
          header.c,
          outbound,
          header.x.length > 0 ? new Set(header.x) : undefined,
        );
        this.track(header.c, header.p, delivered);
        if (header.o === this.instanceId) this.settle(header.p, delivered);
        return;
      }
      case 'f': {
        if (header.o === this.instanceId && header.p === undefined) return;
        const last =
          frame.length > 0
            ? { bytes: frame, isEvent: true, channel: header.c, position: header.p }
            : undefined;
        const ended = delivery.finishChannel(header.c, last);
        if (header.o === this.instanceId && header.p !== undefined) this.settle(header.p, ended);
        return;
      }
      case 'c':
        delivery.toConnection(header.id, { bytes: frame, isEvent: true });
        return;
      case 'u':
        if (header.o !== this.instanceId)
          delivery.toUser(header.u, { bytes: frame, isEvent: true });
        return;
      case 'q':
        if (header.o !== this.instanceId) void this.answer(header.o, header.r, header.f);
        return;
      case 'a':
        this.lists.get(header.r)?.(header.l);
        return;
    }
  }

  /** Remembers the last position delivered to a channel's local subscribers, for catch-up. */
  private track(channel: string, position: string, delivered: number): void {
    this.delivered.delete(channel);
    if (delivered === 0) return;
    this.delivered.set(channel, position);
    if (this.delivered.size > MAX_TRACKED_CHANNELS)
      this.delivered.delete(this.delivered.keys().next().value as string);
  }

  /**
   * After the subscription was lost and came back: delivers what the local subscribers missed
   * meanwhile, read from each channel's stream after the last position delivered here. Bus
   * messages arriving during the catch-up wait; any at or before a channel's last delivered
   * position is skipped, so connected clients see no gap and no duplicate without reconnecting.
   */
  private async catchUp(): Promise<void> {
    if (!this.subscriptionLost || !this.attached) return;
    this.subscriptionLost = false;
    this.held = [];
    const waitingBefore = [...this.waiting.keys()];
    try {
      // Confirms the subscription is active again before reading, so nothing falls in between.
      await this.attached.subscriber.subscribe(this.keys.bus, this.keys.instance(this.instanceId));
      for (const [channel, last] of [...this.delivered]) {
        const entries = (await this.commands.xrange(
          this.keys.history(channel),
          `(${last}`,
          '+',
        )) as StreamEntry[];
        for (const entry of entries) {
          const bytes = Buffer.from(entryFrame(entry));
          const delivered = this.context.delivery.toChannel(channel, {
            bytes,
            isEvent: true,
            channel,
            position: entry[0],
          });
          this.track(channel, entry[0], delivered);
        }
      }
    } catch (error) {
      this.logger.warn(SseMessages.redisCatchUpFailed((error as Error).message));
    } finally {
      const held = this.held ?? [];
      this.held = undefined;
      for (const message of held) this.handle(message);
      // Publishes of ours whose event reached no local subscriber while the subscription was
      // down will never hear back from the bus: nothing was delivered here.
      for (const position of waitingBefore)
        if (this.waiting.has(position)) this.settle(position, 0);
    }
  }

  private async answer(to: string, request: string, filter: ConnectionFilter): Promise<void> {
    const message = encodeBusMessage({ k: 'a', r: request, l: this.context.delivery.list(filter) });
    await this.commands.publish(this.keys.instance(to), message).catch(() => undefined);
  }

  /** Resolves with how many local connections took our own event, once the bus brings it back. */
  private ownDelivery(position: string): Promise<number> {
    const seen = this.early.get(position);
    if (seen !== undefined) {
      this.early.delete(position);
      return Promise.resolve(seen);
    }
    return new Promise((resolve) => {
      this.waiting.set(position, { resolve, deadline: Date.now() + OWN_DELIVERY_TIMEOUT_MS });
      this.sweepTimer ??= setInterval(() => this.sweep(), 1_000).unref();
    });
  }

  private settle(position: string, delivered: number): void {
    const waiter = this.waiting.get(position);
    if (waiter) {
      this.waiting.delete(position);
      waiter.resolve(delivered);
      return;
    }
    this.early.set(position, delivered);
    if (this.early.size > MAX_EARLY_DELIVERIES)
      this.early.delete(this.early.keys().next().value as string);
  }

  /** Publishes whose event never came back (our subscription was down) report 0 deliveries. */
  private sweep(): void {
    const now = Date.now();
    for (const [position, waiter] of this.waiting) {
      if (waiter.deadline > now) continue;
      this.waiting.delete(position);
      waiter.resolve(0);
    }
    if (this.waiting.size === 0) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  private async otherInstances(): Promise<string[]> {
    const live = await this.run('cluster query', () =>
      this.commands.zrangebyscore(this.keys.instances, Date.now(), '+inf'),
    );
    return live.filter((id) => id !== this.instanceId);
  }

  private async reportPresence(): Promise<void> {
    const ttl = this.options.presenceIntervalMs * 3;
    const { instanceId, delivery } = this.context;
    await this.commands
      .multi()
      .set(this.keys.presence(instanceId), JSON.stringify(delivery.snapshot()), 'PX', ttl)
      .zadd(this.keys.instances, Date.now() + ttl, instanceId)
      .zremrangebyscore(this.keys.instances, '-inf', Date.now())
      .exec()
      .catch(() => undefined);
  }
}

/** The wire frame of a stream entry (fields `c` caller's id, `h` head, `t` tail). */
function entryFrame(entry: StreamEntry): string {
  const [, fields] = entry;
  return `${fields[3] ?? ''}id: ${eventIdOf(entry)}\n${fields[5] ?? ''}`;
}

function sequenceOf([, fields]: StreamEntry): number {
  return Number(fields[7]);
}

function eventIdOf([position, fields]: StreamEntry): string {
  return fields[1] || position;
}

function cloneSnapshot(snapshot: {
  connections: number;
  channels: Readonly<Record<string, number>>;
  users: Readonly<Record<string, number>>;
}) {
  return {
    connections: snapshot.connections,
    channels: { ...snapshot.channels },
    users: { ...snapshot.users },
  };
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
}

/** Connection infos crossed the bus as JSON: dates come back as strings. */
function revive(info: SseConnectionInfo): SseConnectionInfo {
  const raw = info as unknown as { connectedAt: string; lastEventAt?: string };
  return {
    ...info,
    connectedAt: new Date(raw.connectedAt),
    lastEventAt: raw.lastEventAt === undefined ? undefined : new Date(raw.lastEventAt),
  };
}
