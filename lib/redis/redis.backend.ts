import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import {
  comparePositions,
  frameText,
  instanceOfConnection,
  isPosition,
  SseBackendUnavailableError,
  SseChannelFinishedError,
  SseShutdownError,
  SseUnknownEventIdError,
  targetedFrame,
  type ConnectionFilter,
  type OutboundFrame,
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
import type {
  RedisBackendHealth,
  RedisConnectionStatus,
} from '../interfaces/sse-health.interface.js';
import { SseMessages } from '../sse.messages.js';
import { RedisMessages } from './redis.messages.js';
import {
  decodeBusMessage,
  encodeBusMessage,
  openEventHeader,
  openFinishHeader,
} from './bus-message.js';
import { HeldMessages, type BusMessage } from './held-messages.js';
import { OwnDeliveries } from './own-deliveries.js';
import {
  resolveRedisBackendOptions,
  type RedisBackendOptions,
  type ResolvedRedisBackendOptions,
} from './redis-backend-options.js';
import { RedisKeys } from './redis-keys.js';
import {
  FINISH_SCRIPT,
  FINISHED_REPLY,
  PUBLISH_SCRIPT,
  READ_SCRIPT,
  type ReadStatus,
} from './redis-scripts.js';
import {
  entryFrame,
  historyEntry,
  readStreamEntry,
  type RawStreamEntry,
  type StreamEntry,
} from './stream-entry.js';

interface ScriptedRedis extends Redis {
  ssePublish(...args: Array<string | number>): Promise<string>;
  sseFinish(...args: Array<string | number>): Promise<number>;
  sseRead(...args: Array<string | number>): Promise<[ReadStatus, string, RawStreamEntry[]]>;
}

/** What `READ_SCRIPT` found for one channel. */
interface HistoryRead {
  readonly status: ReadStatus;
  readonly position: string;
  readonly entries: StreamEntry[];
}
/** Entries of the first page a newest-first read takes: a short loss, a recent id, fit in it. */
const FIRST_PAGE = 16;
/** Stream entries one read returns at most; newest-first pages double up to it. */
const PAGE = 500;
/** Channels a catch-up reads at once (their commands share the connection's pipeline). */
const CATCH_UP_BATCH = 16;
/** Tries of a catch-up whose reads fail (the command connection may come back after the other). */
const CATCH_UP_ATTEMPTS = 10;
const CATCH_UP_RETRY_MS = 200;

/**
 * A catch-up under way. Its sets and maps hold at most one entry per channel with local
 * subscribers; its held messages are bounded by `catchUpBufferBytes`.
 */
interface CatchUp {
  /**
   * Channels that had local subscribers when the catch-up started: only their dropped messages
   * are told apart, so, if any were dropped, the streams of any other channel end too.
   */
  readonly channels: Set<string>;
  readonly held: HeldMessages;
  /** Per channel, the newest position the catch-up delivered; the bus may bring those again. */
  readonly delivered: Map<string, string>;
  /** Channels whose missed events the current pass delivered. */
  readonly read: Set<string>;
  /** Channels whose history no longer holds every missed event. */
  readonly evicted: Set<string>;
  /**
   * Channels that share a local stream with another channel and missed more than a pass can
   * hold: their events could not be delivered in publish order across channels.
   */
  readonly unordered: Set<string>;
  /** Channels finished meanwhile: their streams end once caught up. */
  readonly finished: Set<string>;
  /** Publishes of ours waiting when the subscription came back. */
  readonly waitingBefore: ReadonlyArray<readonly [string, string]>;
  /** The sequence of the newest event the catch-up delivered. */
  sequence: number;
  /**
   * The sequence of the first event the bus brought during the current pass: the bus has
   * every later event, in order, so the pass leaves them to the held messages.
   */
  liveFrom: number | undefined;
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
 * - After a lost subscription, an instance catches up from the streams: its connected clients
 *   get what was published meanwhile without reconnecting (bounded: see `catchUpBufferBytes`).
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
  private readonly own = new OwnDeliveries();
  /** Pending `clusterList()` requests, each removed after `listTimeoutMs` at the latest. */
  private readonly lists = new Map<string, (infos: SseConnectionInfo[]) => void>();
  /**
   * The global sequence of the newest event received on the bus. The bus brings events in
   * sequence order, so every event up to it was handled here: what a lost subscription missed,
   * on every channel, is what comes after it. Set when the backend attaches, so even a channel
   * that has had no event yet has a known starting point.
   */
  private seenSequence = 0;
  private subscriptionLost = false;
  private catchUp: CatchUp | undefined;
  private catchingUp: Promise<void> | undefined;
  private outage = false;
  /** close() has disconnected from Redis, abandoning the commands that had no answer yet. */
  private abandoned = false;
  /** Redis confirmed the subscription since the subscriber last connected (for `health()`). */
  private subscribed = false;
  private lastError: string | undefined;
  /** Since attached, only growing (metrics expose them as counters): see `health()`. */
  private catchUps = 0;
  private resyncs = 0;

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
    commands.defineCommand('sseRead', { numberOfKeys: 1, lua: READ_SCRIPT });
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
    this.abandoned = false;
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
      // The messages of one read arrive in one tick: each socket takes their frames in one
      // system call (see TickFlush).
      if (this.attached) this.receive(message);
    });
    subscriber.on('close', () => {
      this.subscriptionLost = true;
      this.subscribed = false;
    });
    subscriber.on('ready', () => this.resume());
    await subscriber.subscribe(this.keys.bus, this.keys.instance(context.instanceId));
    this.subscribed = true;
    // Everything published from now on arrives on the bus: a catch-up starts after this point.
    this.noteSeen(Number((await commands.get(this.keys.sequence)) ?? 0));
    await this.reportPresence();
    this.presenceTimer = setInterval(
      () => void this.reportPresence(),
      this.options.presenceIntervalMs,
    ).unref();
  }

  async publish(request: SsePublishRequest): Promise<PublishResult> {
    const { channel } = request;
    const header = openEventHeader(channel, request.exclude, request.conflateKey, this.instanceId);
    const position = await this.run(SseMessages.operationOn('publish', channel), () =>
      this.script(channel, request.event, request.historySize, header, 0),
    );
    if (position === FINISHED_REPLY) throw new SseChannelFinishedError(channel);
    return { id: position, delivered: await this.own.wait(channel, position) };
  }

  async sendToConnection(
    connectionId: string,
    event: PreparedEvent,
    id: string | undefined,
  ): Promise<number> {
    const frame = frameText(event, id);
    const instance = instanceOfConnection(connectionId);
    if (instance === this.instanceId) {
      return this.context.delivery.toConnection(connectionId, targetedFrame(frame));
    }
    // Reaches the instance serving the connection, if it is alive: 1, else 0.
    return this.run(SseMessages.operationOn('sendTo', connectionId), () =>
      this.commands.publish(
        this.keys.instance(instance),
        encodeBusMessage({ k: 'c', id: connectionId }, frame),
      ),
    );
  }

  async sendToUser(userId: string, event: PreparedEvent, id: string | undefined): Promise<number> {
    const frame = frameText(event, id);
    const message = encodeBusMessage({ k: 'u', u: userId, o: this.instanceId }, frame);
    await this.run(SseMessages.operationOn('sendToUser', userId), () =>
      this.commands.publish(this.keys.bus, message),
    );
    // Other instances deliver to their own connections of the user.
    return this.context.delivery.toUser(userId, targetedFrame(frame));
  }

  async replay({ channels, from, last }: SseReplayRequest): Promise<SseReplayResult> {
    const reads = await this.run(RedisMessages.replayOperation(), () =>
      Promise.all(channels.map((channel, i) => this.read(channel, from?.[i] ?? '', last))),
    );
    const positions = reads.map((read) => read.position);
    const failed = reads.find((read) => read.status !== 'ok');
    if (failed)
      return { kind: 'reset', reason: failed.status as 'unknown-id' | 'evicted', positions };
    const events = reads.flatMap((read, i) =>
      read.entries.map((entry) => ({ entry, frame: entryFrame(channels[i] as string, entry) })),
    );
    // Each channel's events are in order; across channels, publish order (the global sequence).
    if (channels.length > 1) events.sort((a, b) => a.entry.sequence - b.entry.sequence);
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
    const read = await this.run(SseMessages.operationOn('history', channel), () =>
      this.read(channel, afterId ?? '', limit),
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
    if (lastEvent) {
      const header = openFinishHeader(channel, this.instanceId);
      // -1: the script keeps the final event within the history size the channel's events
      // recorded, as the in-memory backend keeps it in the channel's ring.
      const position = await this.run(operation, () =>
        this.script(channel, lastEvent, -1, header, ttlMs),
      );
      return this.own.wait(channel, position);
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
        : await this.run(RedisMessages.clusterOperation('stats'), () =>
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
    await this.run(RedisMessages.clusterOperation('list'), () =>
      this.commands.publish(this.keys.bus, message),
    );
    await complete;
    this.lists.delete(request);
    return [...local, ...answers.flat().map(revive)];
  }

  /**
   * Available while both connections are ready and Redis has confirmed the subscription (after
   * a reconnect, the catch-up confirms it before reading what was missed). Read from the
   * clients' state, with no command sent: a Redis that accepts connections but does not answer
   * shows only once ioredis gives up on it.
   */
  health(): RedisBackendHealth {
    const commands = connectionStatus(this.attached?.commands);
    const subscriber = connectionStatus(this.attached?.subscriber);
    const subscribed = this.attached !== undefined && this.subscribed;
    const available = commands === 'ready' && subscriber === 'ready' && subscribed;
    const reason = available
      ? undefined
      : this.attached
        ? RedisMessages.unavailable(commands, subscriber, subscribed, this.lastError)
        : RedisMessages.detached();
    return {
      available,
      ...(reason !== undefined && { reason }),
      ...(this.lastError !== undefined && { lastError: this.lastError }),
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
    clearInterval(this.presenceTimer);
    this.own.clear();
    this.catchUp = undefined;
    const attached = this.attached;
    if (!attached) return;
    this.attached = undefined;
    // Leave at once rather than when the report expires; best effort if Redis is down. A Redis
    // that does not answer (the report then expires) must not hold app.close() past its time.
    const left = attached.commands
      .multi()
      .del(this.keys.presence(attached.context.instanceId))
      .zrem(this.keys.instances, attached.context.instanceId)
      .exec()
      .catch(() => undefined);
    await untilAborted(left, signal);
    // Commands still waiting for an answer now fail with "Connection is closed".
    this.abandoned = true;
    attached.subscriber.disconnect();
    attached.commands.disconnect();
  }

  private get context(): SseBackendContext {
    if (!this.attached) throw new Error(SseMessages.backendNotAttached('RedisBackend'));
    return this.attached.context;
  }

  private get commands(): ScriptedRedis {
    if (!this.attached) throw new Error(SseMessages.backendNotAttached('RedisBackend'));
    return this.attached.commands;
  }

  private get instanceId(): string {
    return this.context.instanceId;
  }

  /** Runs the publish script: stores, trims and publishes in one round trip; returns the position. */
  private script(
    channel: string,
    event: PreparedEvent,
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
      event.head,
      event.tail,
      event.json ? '1' : '0',
      this.keys.bus,
      header,
      finishedTtlMs,
    );
  }

  /**
   * One channel's history as a stream opening on it needs it (see `READ_SCRIPT`): on a first
   * connect (`from` ''), where it is and its newest `count` events, oldest first; on a resume,
   * the events after `from` (at most `count`, 0: all), or why they cannot all be had.
   */
  private async read(channel: string, from: string, count: number): Promise<HistoryRead> {
    const [status, position, raw] = await this.commands.sseRead(
      this.keys.history(channel),
      from,
      count,
      this.options.streamTtlMs,
    );
    const entries = raw.map(readStreamEntry);
    if (from === '') entries.reverse();
    return { status, position, entries };
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
    this.lastError = error.message;
    if (this.outage || !this.attached) return;
    this.outage = true;
    this.logger.warn(RedisMessages.lost(error.message));
  }

  private onRecovery(): void {
    if (!this.outage) return;
    this.outage = false;
    this.logger.log(RedisMessages.restored());
  }

  private async run<T>(operation: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof SseUnknownEventIdError) throw error;
      // Sent, but close() cut the connection before Redis answered: Redis may have run it.
      if (this.abandoned) throw new SseShutdownError(operation, true);
      throw new SseBackendUnavailableError(operation, error);
    }
  }

  /**
   * The stream's entries newest first, a page at a time: 16, then twice as many each time, up
   * to 500, so what is near the end costs a small read and what is far a few large ones.
   */
  private async *pagesNewestFirst(key: string): AsyncGenerator<StreamEntry[]> {
    let end = '+';
    for (let count = FIRST_PAGE; ; count = Math.min(count * 2, PAGE)) {
      const raw = (await this.commands.xrevrange(
        key,
        end,
        '-',
        'COUNT',
        count,
      )) as RawStreamEntry[];
      const page = raw.map(readStreamEntry);
      yield page;
      if (page.length < count) return;
      end = `(${(page.at(-1) as StreamEntry).position}`;
    }
  }

  /** Takes one message from the bus or this instance's channel; a bad one is logged, never thrown. */
  private receive(buffer: Buffer): void {
    let message: BusMessage;
    try {
      message = decodeBusMessage(buffer);
    } catch (error) {
      this.logger.error(RedisMessages.badMessage((error as Error).message));
      return;
    }
    const catchUp = this.catchUp;
    if (catchUp === undefined) return this.handle(message);
    const { header } = message;
    // List requests and answers have no order to keep with events.
    if (header.k === 'q' || header.k === 'a') return this.handle(message);
    if ((header.k === 'e' || header.k === 'f') && header.g !== undefined)
      catchUp.liveFrom ??= header.g;
    if (catchUp.held.hold(message, buffer.length)) return;
    // Past the bound. A targeted send carries no id a client could replay it from: early is
    // better than lost. A dropped event of ours reached no one here.
    if (header.k === 'c' || header.k === 'u') this.handle(message);
    else if (header.k === 'e' && header.o === this.instanceId)
      this.own.settle(header.c, header.p, 0);
  }

  private handle({ header, frame }: BusMessage): void {
    const delivery = this.context.delivery;
    switch (header.k) {
      case 'e': {
        this.noteSeen(header.g);
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
        if (header.o === this.instanceId) this.own.settle(header.c, header.p, delivered);
        return;
      }
      case 'f': {
        this.noteSeen(header.g);
        if (header.o === this.instanceId && header.p === undefined) return;
        const last =
          frame.length > 0
            ? { bytes: frame, isEvent: true, channel: header.c, position: header.p }
            : undefined;
        const ended = delivery.finishChannel(header.c, last);
        if (header.o === this.instanceId && header.p !== undefined)
          this.own.settle(header.c, header.p, ended);
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

  /** Events arrive in sequence order, but a held or old-format message may not raise it. */
  private noteSeen(sequence: number | undefined): void {
    if (sequence !== undefined && sequence > this.seenSequence) this.seenSequence = sequence;
  }

  /** The subscriber is ready again: after a lost subscription, catch up (one catch-up at a time). */
  private resume(): void {
    if (!this.subscriptionLost || this.catchingUp || !this.attached) return;
    this.catchingUp = this.runCatchUp().finally(() => (this.catchingUp = undefined));
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
   */
  private async runCatchUp(): Promise<void> {
    this.catchUps++;
    const channels = new Set(Object.keys(this.context.delivery.snapshot().channels));
    const catchUp: CatchUp = {
      channels,
      held: new HeldMessages(this.options.catchUpBufferBytes, (channel) => channels.has(channel)),
      delivered: new Map(),
      read: new Set(),
      evicted: new Set(),
      unordered: new Set(),
      finished: new Set(),
      waitingBefore: this.own.pending(),
      sequence: this.seenSequence,
      liveFrom: undefined,
    };
    this.catchUp = catchUp;
    let failure: Error | undefined;
    for (let attempt = 1; this.catchUp === catchUp; attempt++) {
      this.subscriptionLost = false;
      catchUp.read.clear();
      try {
        await this.catchUpPass(catchUp);
        failure = undefined;
      } catch (error) {
        failure = error as Error;
      }
      // Lost again meanwhile: the bus may have dropped more, so read again (what was
      // delivered is not delivered twice). Same for reads that failed, a few times.
      if (this.subscriptionLost) continue;
      if (failure === undefined || attempt >= CATCH_UP_ATTEMPTS) break;
      await new Promise((resolve) => setTimeout(resolve, CATCH_UP_RETRY_MS * attempt).unref());
    }
    // Closed meanwhile: nothing left to deliver to.
    if (this.catchUp !== catchUp) return;
    this.catchUp = undefined;
    this.completeCatchUp(catchUp, failure);
  }

  private async catchUpPass(catchUp: CatchUp): Promise<void> {
    const { subscriber, commands } = this.attached ?? {};
    if (!subscriber || !commands) throw new Error(SseMessages.backendNotAttached('RedisBackend'));
    catchUp.liveFrom = undefined;
    // Confirms the subscription is active again before reading: whatever is published later
    // arrives on the bus (and is held), so nothing falls in between.
    await subscriber.subscribe(this.keys.bus, this.keys.instance(this.instanceId));
    this.subscribed = true;
    const channels = Object.keys(this.context.delivery.snapshot().channels).filter(
      (channel) => !catchUp.evicted.has(channel) && !catchUp.unordered.has(channel),
    );
    const budget: PassBudget = { bytes: 0, overflowed: false };
    const reads: ChannelRead[] = [];
    for (let start = 0; start < channels.length; start += CATCH_UP_BATCH) {
      const batch = channels.slice(start, start + CATCH_UP_BATCH);
      const finished = await commands.mget(...batch.map((channel) => this.keys.finished(channel)));
      for (const [index, channel] of batch.entries())
        if (finished[index] !== null) catchUp.finished.add(channel);
      // Settled, not raced: a read still running must not change the pass after it failed.
      const settled = await Promise.allSettled(
        batch.map((channel) => this.readMissed(catchUp, budget, channel)),
      );
      for (const result of settled) {
        if (result.status === 'rejected') throw result.reason;
        reads.push(result.value);
      }
    }
    // Its answer comes after every message published before the reads ended: from here on,
    // nothing the bus brings can be something the catch-up read, and `liveFrom` is known.
    await subscriber.ping();
    if (budget.overflowed) await this.deliverEachChannel(catchUp, reads);
    else this.deliverInOrder(catchUp, reads);
  }

  /**
   * The channel's events with a sequence above the last one seen, newest first down to one
   * seen or caught up before, kept while the pass's missed events fit `catchUpBufferBytes`.
   */
  private async readMissed(
    catchUp: CatchUp,
    budget: PassBudget,
    channel: string,
  ): Promise<ChannelRead> {
    const key = this.keys.history(channel);
    const missed: MissedEvent[] = [];
    let complete = true;
    let boundary: string | undefined;
    scan: for await (const page of this.pagesNewestFirst(key)) {
      for (const entry of page) {
        if (entry.sequence <= this.seenSequence || caughtUp(catchUp, channel, entry.position)) {
          boundary = entry.position;
          break scan;
        }
        // Past the bound the scan goes on, for the boundary only.
        complete &&= !budget.overflowed;
        if (!complete) continue;
        const event = missedEvent(channel, entry);
        budget.bytes += event.frame.bytes.length;
        if (budget.bytes <= this.options.catchUpBufferBytes) {
          missed.push(event);
        } else {
          budget.overflowed = true;
          complete = false;
        }
      }
    }
    const none = complete && missed.length === 0;
    // No event seen here is left in the stream: missed ones may have been trimmed too, and
    // delivering the rest would move the clients' Last-Event-ID past the gap.
    if (!none && boundary === undefined && (await this.historyTrimmed(key))) {
      catchUp.evicted.add(channel);
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
  private deliverInOrder(catchUp: CatchUp, reads: readonly ChannelRead[]): void {
    const merged = reads.flatMap((read) => read.missed ?? []);
    merged.sort((a, b) => a.sequence - b.sequence);
    const liveFrom = catchUp.liveFrom ?? Infinity;
    // In one tick, as a read of the bus: each socket takes all of its frames in one write.
    for (const event of merged) {
      if (event.sequence >= liveFrom) break;
      this.deliverMissed(catchUp, event);
    }
    for (const read of reads) catchUp.read.add(read.channel);
  }

  /**
   * Past the bound, the missed events cannot be merged. A channel none of whose local streams
   * has another channel needs its own order only: it gets its events one page at a time. The
   * streams of a channel shared with another one end instead (see `unordered`).
   */
  private async deliverEachChannel(catchUp: CatchUp, reads: readonly ChannelRead[]): Promise<void> {
    const shared = new Set<string>();
    for (const { channels } of this.context.delivery.list({}))
      if (channels.length > 1) for (const channel of channels) shared.add(channel);
    for (const { channel, missed, boundary } of reads) {
      if (missed?.length === 0) {
        catchUp.read.add(channel);
        continue;
      }
      if (shared.has(channel)) catchUp.unordered.add(channel);
      else if (missed) this.deliverEach(catchUp, missed);
      else await this.deliverForward(catchUp, channel, boundary);
      catchUp.read.add(channel);
    }
  }

  /** Reads the channel's stream after `boundary` (from its start without one) and delivers it. */
  private async deliverForward(
    catchUp: CatchUp,
    channel: string,
    boundary: string | undefined,
  ): Promise<void> {
    const key = this.keys.history(channel);
    let start = boundary === undefined ? '-' : `(${boundary}`;
    for (;;) {
      const raw = (await this.commands.xrange(key, start, '+', 'COUNT', PAGE)) as RawStreamEntry[];
      const page = raw.map(readStreamEntry);
      this.deliverEach(
        catchUp,
        page.map((entry) => missedEvent(channel, entry)),
      );
      if (page.length < PAGE) return;
      start = `(${(page.at(-1) as StreamEntry).position}`;
    }
  }

  private deliverEach(catchUp: CatchUp, events: readonly MissedEvent[]): void {
    for (const event of events) this.deliverMissed(catchUp, event);
  }

  private deliverMissed(catchUp: CatchUp, { sequence, frame }: MissedEvent): void {
    const { channel, position } = frame;
    if (caughtUp(catchUp, channel, position)) return;
    const delivered = this.context.delivery.toChannel(channel, frame);
    catchUp.delivered.set(channel, position);
    catchUp.sequence = Math.max(catchUp.sequence, sequence);
    this.own.settleWaiting(channel, position, delivered);
  }

  /**
   * Whether entries were ever removed from the stream (trimmed to the history size or age,
   * Redis 7 `entries-added`). Called when it holds no event seen here: if it never lost any,
   * it holds every missed one (a channel whose first events came during the loss); otherwise
   * some may be gone. Without that information (Redis before 7), assumes they are.
   */
  private async historyTrimmed(key: string): Promise<boolean> {
    const info = (await this.commands.xinfo('STREAM', key)) as unknown[];
    const added = info.indexOf('entries-added');
    const length = info.indexOf('length');
    if (added < 0 || length < 0) return true;
    return Number(info[added + 1]) > Number(info[length + 1]);
  }

  private completeCatchUp(catchUp: CatchUp, failure: Error | undefined): void {
    const delivery = this.context.delivery;
    const ending = new Set<string>([...catchUp.evicted, ...catchUp.unordered]);
    for (const channel of catchUp.evicted) this.logger.warn(RedisMessages.catchUpEvicted(channel));
    if (catchUp.unordered.size > 0)
      this.logger.warn(RedisMessages.catchUpUnordered(this.options.catchUpBufferBytes));
    const local = Object.keys(delivery.snapshot().channels);
    if (failure !== undefined) {
      this.logger.warn(RedisMessages.catchUpFailed(failure.message));
      for (const channel of local) if (!catchUp.read.has(channel)) ending.add(channel);
    }
    if (catchUp.held.hasOverflowed) {
      this.logger.warn(RedisMessages.catchUpOverflow(this.options.catchUpBufferBytes));
      const dropped = catchUp.held.dropped();
      for (const channel of dropped === 'all' ? local : dropped) ending.add(channel);
      // Subscribed to meanwhile: what was dropped of theirs was not told apart. (A drop is
      // not the moment to ask which channels have local subscribers: that costs a snapshot.)
      for (const channel of local) if (!catchUp.channels.has(channel)) ending.add(channel);
    }
    // Up to catchUpBufferBytes of frames, in one tick: each socket takes them in a few writes.
    this.handleHeld(catchUp, ending);
    this.noteSeen(catchUp.sequence);
    for (const channel of catchUp.finished)
      if (!ending.has(channel)) delivery.finishChannel(channel, undefined);
    let streams = 0;
    let channels = 0;
    // Not finished: their clients come back with Last-Event-ID and replay from the streams.
    for (const channel of ending) {
      const ended = delivery.disconnectChannel(channel, 'resync');
      streams += ended;
      if (ended > 0) channels++;
    }
    this.resyncs += channels;
    if (streams > 0) this.logger.warn(RedisMessages.catchUpEnded(streams, channels));
    // Publishes of ours whose event reached no local subscriber while the subscription was
    // down will never hear back from the bus: nothing was delivered here.
    for (const [channel, position] of catchUp.waitingBefore)
      this.own.settleWaiting(channel, position, 0);
  }

  /** The messages held during the catch-up, less those it delivered or must not deliver. */
  private handleHeld(catchUp: CatchUp, ending: ReadonlySet<string>): void {
    const delivery = this.context.delivery;
    for (const message of catchUp.held.take()) {
      const { header } = message;
      if (header.k === 'e') {
        const duplicate = caughtUp(catchUp, header.c, header.p);
        // Not delivered to streams about to end: their clients must resume before the gap.
        if (duplicate || ending.has(header.c)) {
          this.noteSeen(header.g);
          if (header.o === this.instanceId && !duplicate) this.own.settle(header.c, header.p, 0);
          continue;
        }
      }
      if (header.k === 'f') {
        // Nor finished: a client told its stream is over would never learn of the gap.
        if (ending.has(header.c)) {
          this.noteSeen(header.g);
          if (header.o === this.instanceId && header.p !== undefined)
            this.own.settle(header.c, header.p, 0);
          continue;
        }
        // The final event was caught up already: end the streams without sending it again.
        if (header.p !== undefined && caughtUp(catchUp, header.c, header.p)) {
          const ended = delivery.finishChannel(header.c, undefined);
          if (header.o === this.instanceId) this.own.settle(header.c, header.p, ended);
          continue;
        }
      }
      this.handle(message);
    }
  }

  private async answer(to: string, request: string, filter: ConnectionFilter): Promise<void> {
    const message = encodeBusMessage({ k: 'a', r: request, l: this.context.delivery.list(filter) });
    await this.commands.publish(this.keys.instance(to), message).catch(() => undefined);
  }

  private async otherInstances(): Promise<string[]> {
    const live = await this.run(RedisMessages.clusterOperation('query'), () =>
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

/** What `health()` says of an ioredis client's `status`. */
function connectionStatus(client: Redis | undefined): RedisConnectionStatus {
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

/** Whether the catch-up already delivered the channel's event at `position`. */
function caughtUp(catchUp: CatchUp, channel: string, position: string): boolean {
  const last = catchUp.delivered.get(channel);
  return last !== undefined && comparePositions(position, last) <= 0;
}

function missedEvent(channel: string, entry: StreamEntry): MissedEvent {
  return { sequence: entry.sequence, frame: entryFrame(channel, entry) };
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
