import { ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Unsubscribable } from 'rxjs';
import type {
  SseCloseReason,
  SseConnectionInfo,
  SseConnectionState,
} from '../interfaces/sse-connection-info.interface.js';
import type { SseResetReason } from '../protocol/library-events.js';
import { positionNotice, resetNotice } from '../wire/library-notices.js';
import { comparePositions, streamIdOf } from '../wire/stream-position.js';
import type { OutboundFrame } from '../interfaces/sse-frame.interface.js';
import { chunkOf, controlFrame, eventFrame, joinedBytes } from './outbound-frame.js';
import type { SlowConsumerPolicy } from '../interfaces/sse-options.interface.js';
import type { RouteMetrics } from '../metrics/route-metrics.js';
import { OutboundQueue } from './outbound-queue.js';
import { positionedFrame } from './positioned-frame.js';
import type { TickCorked, TickFlush } from './tick-flush.js';

/**
 * What a stream sends before its live events, once its backend has read history: the events
 * its client missed (or the last N, on a first connect), and where that leaves each channel.
 */
export interface ReplayOutcome {
  readonly frames: readonly OutboundFrame[];
  /** Per channel (in the stream's order), the stream's position before `frames`, if known. */
  readonly from: readonly string[] | undefined;
  /** Per channel, its position after them; live events at or before it are skipped. */
  readonly to: readonly string[] | undefined;
  /** The id the client resumed with, if any: not sent again when the stream is still there. */
  readonly lastEventId: string | undefined;
  /** Set when the client cannot resume where it was: it gets `sse:reset` instead of events. */
  readonly reset?: SseResetReason;
}

/**
 * The socket of an HTTP/1.x response whose headers are out and that holds nothing unsent of its
 * own, so frames can go to the socket directly: the response's own write path costs several
 * times more per call, which a broadcast pays once per subscriber. `end()` on the response
 * still writes the closing chunk. HTTP/2 responses have no socket to write to.
 */
function writableSocket(response: ServerResponse): Socket | undefined {
  const socket = response.socket;
  if (!(response instanceof ServerResponse) || !socket || !response.headersSent) return undefined;
  if (response.req?.httpVersionMajor !== 1) return undefined;
  // What the response buffered itself (not yet handed to the socket) must go out first.
  return response.writableLength === socket.writableLength ? socket : undefined;
}

/**
 * The most a stream's frames of one tick wait in its cork: a burst larger than this leaves in
 * several writes of about this size, which keeps a burst's memory bounded per socket.
 */
const TICK_BYTES = 64 * 1024;

/**
 * How much of one tick's frames a cork holds at most before letting them out early: a quarter of
 * `maxBufferedBytes` at most, since what the socket cannot pass on yet counts against that bound
 * (with a socket buffer of up to its high-water mark before the stream pauses, what waits stays
 * well below the bound, as with frames written one by one).
 */
export function tickLimitOf(maxBufferedBytes: number): number {
  return Math.min(TICK_BYTES, Math.floor(maxBufferedBytes / 4));
}

/**
 * What all connections of a module share, and whom a connection tells when it stops receiving
 * and when it is gone: one object per module, so a connection holds one reference where a hook
 * per listener would cost each connection closures and arrays for as long as it lives.
 */
export interface SseConnectionHost {
  /** This process's id, the prefix of connection ids. */
  readonly instance: string;
  /** Lets out, at the end of each tick, what streams wrote during it. */
  readonly tick: TickFlush;
  /** Bound on bytes waiting for the client (socket buffer + own queue). */
  readonly maxBufferedBytes: number;
  /** `tickLimitOf(maxBufferedBytes)`, worked out once. */
  readonly tickLimit: number;
  readonly slowConsumer: SlowConsumerPolicy;
  /** The connection stopped receiving: it leaves its channels and stops counting against limits. */
  retired(connection: SseConnection): void;
  /** The connection is gone for good. */
  closed(connection: SseConnection): void;
}

interface SseConnectionInit {
  readonly id: string;
  readonly channels: readonly string[];
  readonly userId: string | undefined;
  /** The framework's request; its `ip` (proxy rules applied) is read on first use and kept. */
  readonly request: { readonly ip?: string };
  readonly userAgent: string | undefined;
  readonly response: ServerResponse;
  /** The metrics of the route that opened it, which count it while open and when it ends. */
  readonly route?: RouteMetrics;
}

/**
 * One `text/event-stream` response. It writes frames while the socket takes them, queues them
 * (bounded, per the slow-consumer policy) while it does not, holds live frames while history is
 * replayed, and tells its host exactly once, whichever side ends the stream, when it retires
 * (stops receiving: it leaves its channels, its handler stream is unsubscribed) and when it is
 * closed (the socket is done with; the registry forgets it).
 *
 * It lives as long as its stream, by the thousand, so it keeps only what it needs: no closure
 * per listener, and queues, replay state and the drain listener only once needed.
 */
export class SseConnection implements TickCorked {
  readonly id: string;
  readonly channels: readonly string[];
  readonly userId: string | undefined;
  readonly userAgent: string | undefined;
  readonly route: RouteMetrics | undefined;
  readonly connectedAt = Date.now();
  state: SseConnectionState = 'connecting';
  closeReason: SseCloseReason | undefined;
  /** When `end()` was called; the clock destroys connections that take too long to flush. */
  closingSince: number | undefined;
  /**
   * When the last event (not heartbeat) was written; 0 before the first. A number from the
   * start, never undefined: V8 then keeps it as a double in place, and the store each write
   * makes allocates nothing.
   */
  lastEventAt = 0;
  /** Last time anything was written or queued; the heartbeat only writes to idle connections. */
  lastWriteAt = this.connectedAt;
  eventsSent = 0;
  bytesSent = 0;
  droppedEvents = 0;

  private readonly host: SseConnectionHost;
  private readonly response: ServerResponse;
  private retired = false;
  private paused = false;
  private queue: OutboundQueue | undefined;
  private held: OutboundFrame[] | undefined;
  private heldBytes = 0;
  /** The preamble of a stream that opened while its history was read: it leaves with the replay. */
  private lead: OutboundFrame | undefined;
  /**
   * Per channel (in the order of `channels`), the position a replay covered, until the channel
   * moves past it. A distributed backend may still deliver a live frame the replay already sent
   * (the history read and the live message travel separately), so such frames are skipped.
   */
  private replayed: Array<string | undefined> | undefined;
  /**
   * For a stream on several channels, once its positions are known: its id, which every channel
   * event it sends carries (see `positionedFrame()`).
   */
  private streamId: string | undefined;
  /** The handler's stream, unsubscribed when the connection retires. */
  private handlerEvents: Unsubscribable | undefined;
  private readonly onResponseClose = (): void => {
    this.retire('client');
    this.finish();
  };
  private onDrain: (() => void) | undefined;
  /**
   * Where frames are written once the stream is open: the socket itself on HTTP/1.x (see
   * `writableSocket()`), otherwise the response. Set by `open()`.
   */
  private sink: Socket | ServerResponse | undefined;
  /**
   * The socket corked for the rest of a tick in which the stream writes: that of an HTTP/1.x
   * response written to directly. A response written through its own path corks its socket
   * per tick itself (`node:http`), and an HTTP/2 stream's frames of one tick already leave
   * together (the session writes its socket once per tick, one DATA frame per stream).
   */
  private corkable: Socket | undefined;
  /** Corked until the end of the current tick (see `TickFlush`). */
  private corkedForTick = false;
  /** Bytes written since the cork of this tick, which it holds back (see `send()`). */
  private tickBytes = 0;
  /**
   * The socket still held bytes of earlier ticks, up to its high-water mark, when corked this
   * tick: its client is not keeping up, and a write the socket calls full is backpressure.
   */
  private backlogged = false;
  private chunked = false;
  /** Until the address is first read; then the address, kept (see `remoteAddress`). */
  private client: { readonly ip?: string } | string | undefined;

  constructor(init: SseConnectionInit, host: SseConnectionHost) {
    this.id = init.id;
    this.channels = init.channels;
    this.userId = init.userId;
    this.client = init.request;
    this.userAgent = init.userAgent;
    this.route = init.route;
    this.response = init.response;
    this.host = host;
    // 'close' fires once the response is over, whether the client left or the server ended it.
    // on(), not once(): once() wraps the listener in two more objects per connection, and the
    // listener is idempotent anyway.
    this.response.on('close', this.onResponseClose);
  }

  get instance(): string {
    return this.host.instance;
  }

  /** True once the headers went out, even if the stream has ended since. */
  get wasOpened(): boolean {
    return this.sink !== undefined;
  }

  /**
   * The client's address, read when first asked (a registry query or a `connected` event
   * listener) and kept, so connections nobody asks about cost no system call for it.
   */
  get remoteAddress(): string | undefined {
    if (typeof this.client === 'object')
      this.client = this.client.ip ?? this.response.req?.socket?.remoteAddress;
    return this.client;
  }

  /** True while the client can still receive a response. */
  get isReachable(): boolean {
    return !this.response.destroyed && !this.response.writableEnded;
  }

  /** True while the socket reports backpressure; the heartbeat leaves such connections alone. */
  get isBackedUp(): boolean {
    return this.paused;
  }

  get bufferedBytes(): number {
    return this.response.writableLength + (this.queue?.bytes ?? 0) + this.heldBytes;
  }
  /** Unsubscribes `events` (the handler's stream) when the connection retires; at once if it has. */
  bindHandlerEvents(events: Unsubscribable): void {
    if (this.retired) events.unsubscribe();
    else this.handlerEvents = events;
  }

  /**
   * Sends the status line and headers, then the preamble, and then, in the same packet, what
   * the stream writes in the rest of this tick (its position, its replay). A stream whose live
   * frames are held for a replay keeps the preamble for `resumeLive()`, which writes it with the
   * replay in one piece (or for `end()`, should the stream end first). If Node refuses the
   * headers (`writeHead()` throws, e.g. ERR_INVALID_CHAR), nothing was sent and the connection
   * is still connecting: `discard()` it and let the framework answer.
   */
  open(headers: OutgoingHttpHeaders, preamble: OutboundFrame | undefined): void {
    if (this.state !== 'connecting') return;
    const response = this.response;
    response.socket?.setNoDelay(true);
    // Corked, so the headers and the preamble leave in one packet although they are two writes.
    // Written on their own, the headers go out as a string, which flattens the copy Node keeps
    // in the response for the life of the stream: written with the preamble's Buffer, it would
    // stay a tree of some 20 concatenated strings, about 700 bytes per connection.
    // HTTP/1.x only: an HTTP/2 response's `socket` stands for the session's, shared by streams.
    const socket = response.req?.httpVersionMajor === 1 ? response.socket : null;
    socket?.cork();
    try {
      response.writeHead(200, headers);
    } catch (error) {
      // The framework's error response goes out on this socket.
      socket?.uncork();
      throw error;
    }
    this.state = 'open';
    response.flushHeaders();
    const direct = writableSocket(response);
    this.sink = direct ?? response;
    this.chunked = direct !== undefined && response.chunkedEncoding;
    this.corkable = direct;
    if (socket) {
      // The socket stays corked for the tick: `endTick()` lets it out with the rest.
      if (socket === this.corkable) this.holdForTick(false);
      else socket.uncork();
    }
    if (this.held !== undefined) this.lead = preamble;
    else if (preamble) this.send(preamble, Date.now());
  }

  /** Lets out what the stream wrote during the tick (see `TickFlush`). */
  endTick(): void {
    if (!this.corkedForTick) return;
    this.corkedForTick = false;
    this.tickBytes = 0;
    this.corkable?.uncork();
  }

  /**
   * Writes a frame, or queues it while the socket is backed up. `now` comes from the caller so a
   * broadcast reads the clock once, not once per subscriber. Returns false if the frame will
   * not reach the client (connection not open, dropped by the policy).
   */
  write(frame: OutboundFrame, now: number): boolean {
    // Held while its history is read, which may be before the stream opens.
    if (this.held !== undefined) return this.retired ? false : this.hold(frame);
    if (this.state !== 'open') return false;
    if (this.replayed !== undefined && this.alreadyReplayed(frame)) return false;
    // Checked here, not in `positioned()`: a stream on one channel (most) sends the frame as is.
    return this.accept(this.streamId === undefined ? frame : this.positioned(frame, true), now);
  }

  /**
   * From now until `resumeLive()`, live frames wait (bounded) while history is read, from
   * before the stream opens.
   */
  holdLive(): void {
    this.held ??= [];
  }

  /**
   * Writes the preamble kept by `open()` and the replayed frames; then, if the client does not
   * hold the stream's id yet, a notice that carries it (`sse:position`, or `sse:reset` when it
   * cannot resume); then the live frames held since `holdLive()` except those at or before
   * `outcome.to` (the replay covered them): no gap, no duplicate, in order, and a client that
   * reconnects at any point resumes exactly.
   */
  resumeLive(outcome: ReplayOutcome): void {
    const held = this.held ?? [];
    this.held = undefined;
    this.heldBytes = 0;
    const own: OutboundFrame[] = this.lead ? [this.lead] : [];
    this.lead = undefined;
    const several = this.channels.length > 1;
    if (several && outcome.from) this.streamId = streamIdOf(outcome.from);
    let clientId = outcome.lastEventId;
    for (const frame of outcome.frames) {
      const written = this.positioned(frame, false);
      own.push(written);
      clientId = several ? this.streamId : written.position;
    }
    const notice = this.positionAfter(outcome, clientId);
    if (notice) own.push(notice);
    const now = Date.now();
    this.acceptOwn(own, now);
    for (const frame of held) this.write(frame, now);
  }

  /** Ends the response gracefully: what is queued is flushed first, then `lastFrame`. */
  end(reason: SseCloseReason, lastFrame?: OutboundFrame): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    // Nothing was sent yet, so there is no stream to end gracefully.
    if (this.state === 'connecting') return this.destroy(reason);
    if (this.state === 'open') {
      // Live frames held for a replay that will not come now are dropped: sent without it, they
      // would move the client's id past the events it missed. It resumes before them instead.
      this.held = undefined;
      this.heldBytes = 0;
      // Ending anyway: hand everything still queued to the socket, ignoring backpressure.
      const now = Date.now();
      if (this.lead) this.send(this.lead, now);
      this.lead = undefined;
      for (let frame = this.queue?.shift(); frame; frame = this.queue?.shift())
        this.send(frame, now);
      if (lastFrame) this.send(this.positioned(lastFrame, true), now);
    }
    this.state = 'closing';
    this.closingSince = Date.now();
    this.retire(reason);
    this.response.end();
  }

  /** Drops the connection at once; unsent bytes are discarded. */
  destroy(reason: SseCloseReason): void {
    if (this.state === 'closed') return;
    this.retire(reason);
    this.response.destroy();
    this.finish();
  }

  /**
   * Forgets a connection that never opened (its handler failed or the request was refused):
   * the framework still owns the response and answers it.
   */
  discard(): void {
    if (this.state !== 'connecting') return;
    this.response.off('close', this.onResponseClose);
    this.retire('client');
    this.finish();
  }

  info(): SseConnectionInfo {
    return {
      id: this.id,
      instance: this.instance,
      channels: this.channels,
      userId: this.userId,
      remoteAddress: this.remoteAddress,
      userAgent: this.userAgent,
      state: this.state,
      connectedAt: new Date(this.connectedAt),
      lastEventAt: this.lastEventAt === 0 ? undefined : new Date(this.lastEventAt),
      eventsSent: this.eventsSent,
      bytesSent: this.bytesSent,
      bufferedBytes: this.bufferedBytes,
      droppedEvents: this.droppedEvents,
    };
  }

  /**
   * Writes a frame to the sink, corked until the end of the tick (see `TickFlush`): every
   * frame the stream writes in one tick leaves in one system call.
   */
  private send(frame: OutboundFrame, now: number): void {
    this.put(this.chunked ? chunkOf(frame) : frame.bytes);
    this.counted(frame, now);
  }

  /** Writes frames of this stream's own (see `acceptOwn()`) to the sink as one piece. */
  private sendJoined(frames: readonly OutboundFrame[], now: number): void {
    this.put(joinedBytes(frames, this.chunked));
    for (const frame of frames) this.counted(frame, now);
  }

  private counted(frame: OutboundFrame, now: number): void {
    this.bytesSent += frame.bytes.length;
    if (frame.isEvent) {
      this.eventsSent++;
      this.lastEventAt = now;
    }
  }

  /** Hands bytes to the sink, corked for the tick; a sink that reports them full pauses the stream. */
  private put(bytes: Buffer): void {
    const corkable = this.corkable;
    let accepted: boolean;
    if (corkable === undefined) {
      accepted = (this.sink as ServerResponse).write(bytes);
    } else {
      if (!this.corkedForTick) this.holdForTick(true);
      // The cork holds the stream's own frames of this tick until its end, up to a bound (see
      // `tickLimitOf()`) past which they go out at once, in one write.
      else if (this.tickBytes > 0 && this.tickBytes + bytes.length > this.host.tickLimit)
        this.letOut(corkable);
      // A corked socket reports what it merely holds back as backpressure: only bytes still
      // waiting from earlier ticks (a client that stops reading) make the connection queue,
      // or drop, anything.
      accepted = corkable.write(bytes) || !this.backlogged;
      this.tickBytes += bytes.length;
    }
    if (!accepted && !this.paused) {
      this.paused = true;
      (this.sink as Socket).once('drain', (this.onDrain ??= () => this.drain()));
    }
  }

  /** Lets out what the cork holds now, and corks again for the rest of the tick. */
  private letOut(corkable: Socket): void {
    // Cork levels add up (Node's own, on a socket it writes), so all are lifted, then restored.
    const corks = corkable.writableCorked;
    for (let i = 0; i < corks; i++) corkable.uncork();
    for (let i = 0; i < corks; i++) corkable.cork();
    this.tickBytes = 0;
    this.backlogged = corkable.writableLength >= corkable.writableHighWaterMark;
  }

  /** Corks the sink until the end of this tick; `cork`: it is not corked already. */
  private holdForTick(cork: boolean): void {
    const corkable = this.corkable;
    if (!corkable) return;
    if (cork) corkable.cork();
    this.corkedForTick = true;
    // Nothing leaves a corked socket: what it holds now stays the backlog for the whole tick.
    this.backlogged = corkable.writableLength >= corkable.writableHighWaterMark;
    this.host.tick.add(this);
  }

  private drain(): void {
    this.paused = false;
    if (this.state !== 'open') return;
    const now = Date.now();
    // Written in one tick: what waited leaves in one system call, not one per frame.
    while (!this.paused) {
      const frame = this.queue?.shift();
      if (!frame) break;
      this.send(frame, now);
    }
  }

  private enqueue(frame: OutboundFrame): boolean {
    const queue = (this.queue ??= new OutboundQueue());
    if (this.host.slowConsumer === 'conflate' && queue.replace(frame)) {
      this.droppedEvents++;
    } else {
      queue.push(frame);
    }
    const inSocket = this.response.writableLength;
    if (this.host.slowConsumer === 'disconnect') {
      if (inSocket + queue.bytes <= this.host.maxBufferedBytes) return true;
      this.destroy('slow-consumer');
      return false;
    }
    while (inSocket + queue.bytes > this.host.maxBufferedBytes && queue.length > 0) {
      if (queue.shift() === frame) {
        this.droppedEvents++;
        return false;
      }
      this.droppedEvents++;
    }
    return true;
  }

  /** Takes a frame the stream will send (not queued for a replay). */
  private accept(frame: OutboundFrame, now: number): boolean {
    if (!this.paused) {
      this.lastWriteAt = now;
      this.send(frame, now);
      return true;
    }
    // A heartbeat is pointless while data is waiting: the connection is not idle.
    if (frame.heartbeat) return false;
    this.lastWriteAt = now;
    return this.enqueue(frame);
  }

  /**
   * Takes frames the stream sends of its own before its live ones (preamble, replay, position):
   * runs of them up to the tick bound (see `tickLimitOf()`) are joined into one write, where
   * writing each on its own costs a socket write per replayed event. Once the socket reports
   * backpressure, the rest are taken one by one, queued and dropped under the policy as ever.
   */
  private acceptOwn(frames: readonly OutboundFrame[], now: number): void {
    let run: OutboundFrame[] = [];
    let size = 0;
    for (const frame of frames) {
      if (run.length > 0 && (this.paused || size + frame.bytes.length > this.host.tickLimit)) {
        this.acceptRun(run, now);
        run = [];
        size = 0;
      }
      run.push(frame);
      size += frame.bytes.length;
    }
    if (run.length > 0) this.acceptRun(run, now);
  }

  private acceptRun(run: readonly OutboundFrame[], now: number): void {
    if (this.state !== 'open') return;
    // A run of several was gathered while the socket took everything (see `acceptOwn()`).
    if (run.length === 1) {
      for (const frame of run) this.accept(frame, now);
      return;
    }
    this.lastWriteAt = now;
    this.sendJoined(run, now);
  }

  /**
   * A channel event with this stream's id: its own position on one channel (as broadcast), the
   * stream's id moved to it on several. `remember`: share the result with other streams.
   */
  private positioned(frame: OutboundFrame, remember: boolean): OutboundFrame {
    if (this.streamId === undefined || frame.position === undefined) return frame;
    const positioned = positionedFrame(frame, this.channels, this.streamId, remember);
    if (!positioned) return frame;
    this.streamId = positioned.streamId;
    return positioned;
  }

  /**
   * After a replay: the notice that tells the client the stream's id if it does not hold it yet
   * (a first connect with nothing replayed, say, so that a reconnect after a quiet spell still
   * resumes), or that it cannot resume; from then on, live frames the replay covered are skipped.
   */
  private positionAfter(
    outcome: ReplayOutcome,
    clientId: string | undefined,
  ): OutboundFrame | undefined {
    const to = outcome.to;
    const streamId = to === undefined ? undefined : streamIdOf(to);
    if (streamId !== undefined && this.channels.length > 1) this.streamId = streamId;
    if (to !== undefined) this.replayed = [...to];
    if (outcome.reset !== undefined) return eventFrame(resetNotice(outcome.reset, streamId));
    if (streamId !== undefined && streamId !== clientId)
      return controlFrame(positionNotice(streamId));
    return undefined;
  }

  private alreadyReplayed(frame: OutboundFrame): boolean {
    const replayed = this.replayed as Array<string | undefined>;
    if (frame.channel === undefined || frame.position === undefined) return false;
    const index = this.channels.indexOf(frame.channel);
    const last = replayed[index];
    if (last === undefined) return false;
    if (comparePositions(frame.position, last) <= 0) return true;
    // The channel has moved past the replay: nothing older can come any more.
    replayed[index] = undefined;
    if (replayed.every((position) => position === undefined)) this.replayed = undefined;
    return false;
  }

  private hold(frame: OutboundFrame): boolean {
    (this.held as OutboundFrame[]).push(frame);
    this.heldBytes += frame.bytes.length;
    if (this.response.writableLength + this.heldBytes <= this.host.maxBufferedBytes) return true;
    this.destroy('slow-consumer');
    return false;
  }

  private retire(reason: SseCloseReason): void {
    if (this.retired) return;
    this.retired = true;
    this.closeReason ??= reason;
    this.queue?.clear();
    this.held = undefined;
    this.heldBytes = 0;
    this.host.retired(this);
    this.handlerEvents?.unsubscribe();
    this.handlerEvents = undefined;
  }

  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.host.closed(this);
  }
}
