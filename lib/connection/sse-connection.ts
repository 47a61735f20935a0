import { ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type {
  SseCloseReason,
  SseConnectionInfo,
  SseConnectionState,
} from '../interfaces/sse-connection-info.interface.js';
import { chunkOf, comparePositions, type OutboundFrame } from './outbound-frame.js';
import { OutboundQueue, type SlowConsumerPolicy } from './outbound-queue.js';

/** Per channel, the last position a replay sent; live frames at or before it are skipped. */
export type ReplayPositions = Readonly<Record<string, string>>;

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

export interface SseConnectionInit {
  readonly id: string;
  readonly instance: string;
  readonly channels: readonly string[];
  readonly userId: string | undefined;
  /** Read on first use (it costs a system call), then kept: see `remoteAddress`. */
  readonly remoteAddress: () => string | undefined;
  readonly userAgent: string | undefined;
  readonly response: ServerResponse;
  /** Bound on bytes waiting for the client (socket buffer + own queue). */
  readonly maxBufferedBytes: number;
  readonly slowConsumer: SlowConsumerPolicy;
}

/**
 * One `text/event-stream` response. It writes frames while the socket takes them, queues them
 * (bounded, per the slow-consumer policy) while it does not, holds live frames while history is
 * replayed, and runs its cleanup hooks exactly once whichever side ends the stream.
 *
 * Two kinds of hooks: `onRetire` runs as soon as the connection stops receiving (it leaves its
 * channels, its handler stream is unsubscribed); `onClosed` runs once the socket is done with
 * (the registry forgets it).
 */
export class SseConnection {
  readonly id: string;
  readonly instance: string;
  readonly channels: readonly string[];
  readonly userId: string | undefined;
  readonly userAgent: string | undefined;
  readonly connectedAt = Date.now();
  state: SseConnectionState = 'connecting';
  closeReason: SseCloseReason | undefined;
  /** When `end()` was called; the clock destroys connections that take too long to flush. */
  closingSince: number | undefined;
  wasOpened = false;
  lastEventAt: number | undefined;
  /** Last time anything was written or queued; the heartbeat only writes to idle connections. */
  lastWriteAt = this.connectedAt;
  eventsSent = 0;
  bytesSent = 0;
  droppedEvents = 0;

  private readonly response: ServerResponse;
  private readonly maxBufferedBytes: number;
  private readonly policy: SlowConsumerPolicy;
  private readonly retireHooks: Array<() => void> = [];
  private readonly closeHooks: Array<() => void> = [];
  private retired = false;
  private paused = false;
  private queue: OutboundQueue | undefined;
  private held: OutboundFrame[] | undefined;
  private heldBytes = 0;
  /**
   * Per channel, the position a replay covered. A distributed backend may still deliver a live
   * frame the replay already sent (the history read and the live message travel separately), so
   * such frames are skipped until a newer one of the channel arrives.
   */
  private replayed: Map<string, string> | undefined;
  private readonly onResponseClose = (): void => {
    this.retire('client');
    this.finish();
  };
  private onDrain: (() => void) | undefined;
  /**
   * Where frames are written once the stream is open: the socket itself on HTTP/1.x (see
   * `writableSocket()`), otherwise the response.
   */
  private sink: Socket | ServerResponse | undefined;
  private chunked = false;
  private readRemoteAddress: (() => string | undefined) | undefined;
  private address: string | undefined;

  constructor(init: SseConnectionInit) {
    this.id = init.id;
    this.instance = init.instance;
    this.channels = init.channels;
    this.userId = init.userId;
    this.readRemoteAddress = init.remoteAddress;
    this.userAgent = init.userAgent;
    this.response = init.response;
    this.maxBufferedBytes = init.maxBufferedBytes;
    this.policy = init.slowConsumer;
    // 'close' fires once the response is over, whether the client left or the server ended it.
    this.response.once('close', this.onResponseClose);
  }

  /**
   * The client's address, read when first asked (a registry query or a `connected` event
   * listener) and kept, so connections nobody asks about cost no system call for it.
   */
  get remoteAddress(): string | undefined {
    if (this.readRemoteAddress) {
      this.address = this.readRemoteAddress();
      this.readRemoteAddress = undefined;
    }
    return this.address;
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

  /** Runs `hook` when the connection stops receiving; at once if it already has. */
  onRetire(hook: () => void): void {
    if (this.retired) hook();
    else this.retireHooks.push(hook);
  }

  /** Runs `hook` when the connection is gone for good; at once if it already is. */
  onClosed(hook: () => void): void {
    if (this.state === 'closed') hook();
    else this.closeHooks.push(hook);
  }

  /** Sends the status line and headers, then the preamble, in one packet. */
  open(headers: OutgoingHttpHeaders, preamble: OutboundFrame | undefined): void {
    if (this.state !== 'connecting') return;
    this.state = 'open';
    this.wasOpened = true;
    this.response.socket?.setNoDelay(true);
    this.response.writeHead(200, headers);
    if (preamble) this.send(preamble, Date.now());
    else this.response.flushHeaders();
    const socket = writableSocket(this.response);
    this.sink = socket ?? this.response;
    this.chunked = socket !== undefined && this.response.chunkedEncoding;
  }

  /**
   * Writes a frame, or queues it while the socket is backed up. `now` comes from the caller so a
   * broadcast reads the clock once, not once per subscriber. Returns false if the frame will
   * not reach the client (connection not open, dropped by the policy).
   */
  write(frame: OutboundFrame, now: number): boolean {
    if (this.state !== 'open') return false;
    if (this.held !== undefined) return this.hold(frame);
    if (this.replayed !== undefined && this.alreadyReplayed(frame)) return false;
    if (!this.paused) {
      this.lastWriteAt = now;
      this.send(frame, now);
      return true;
    }
    // A heartbeat is pointless while data is waiting: the connection is not idle.
    if (!frame.isEvent) return false;
    this.lastWriteAt = now;
    return this.enqueue(frame);
  }

  /** From now until `resumeLive()`, live frames wait (bounded) while history is replayed. */
  holdLive(): void {
    this.held ??= [];
  }

  /**
   * Writes the replayed frames, then the live frames held since `holdLive()` except those at or
   * before `after` (the replay already covered them): no gap, no duplicate, in order.
   */
  resumeLive(replayed: readonly OutboundFrame[], after: ReplayPositions | undefined): void {
    const held = this.held ?? [];
    this.held = undefined;
    this.heldBytes = 0;
    const now = Date.now();
    for (const frame of replayed) this.write(frame, now);
    if (after !== undefined && Object.keys(after).length > 0)
      this.replayed = new Map(Object.entries(after));
    for (const frame of held) this.write(frame, now);
  }

  /** Ends the response gracefully: what is queued is flushed first, then `lastFrame`. */
  end(reason: SseCloseReason, lastFrame?: OutboundFrame): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    // Nothing was sent yet, so there is no stream to end gracefully.
    if (this.state === 'connecting') return this.destroy(reason);
    if (this.state === 'open') {
      // Ending anyway: hand everything still queued to the socket, ignoring backpressure.
      this.resumeLive([], undefined);
      const now = Date.now();
      for (let frame = this.queue?.shift(); frame; frame = this.queue?.shift())
        this.send(frame, now);
      if (lastFrame) this.send(lastFrame, now);
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
      lastEventAt: this.lastEventAt === undefined ? undefined : new Date(this.lastEventAt),
      eventsSent: this.eventsSent,
      bytesSent: this.bytesSent,
      bufferedBytes: this.bufferedBytes,
      droppedEvents: this.droppedEvents,
    };
  }

  private send(frame: OutboundFrame, now: number): void {
    const sink = this.sink ?? this.response;
    if (!sink.write(this.chunked ? chunkOf(frame) : frame.bytes) && !this.paused) {
      this.paused = true;
      sink.once('drain', (this.onDrain ??= () => this.drain()));
    }
    this.bytesSent += frame.bytes.length;
    if (frame.isEvent) {
      this.eventsSent++;
      this.lastEventAt = now;
    }
  }

  private drain(): void {
    this.paused = false;
    if (this.state !== 'open') return;
    const now = Date.now();
    while (!this.paused) {
      const frame = this.queue?.shift();
      if (!frame) return;
      this.send(frame, now);
    }
  }

  private enqueue(frame: OutboundFrame): boolean {
    const queue = (this.queue ??= new OutboundQueue());
    if (this.policy === 'conflate' && queue.replace(frame)) {
      this.droppedEvents++;
    } else {
      queue.push(frame);
    }
    const inSocket = this.response.writableLength;
    if (this.policy === 'disconnect') {
      if (inSocket + queue.bytes <= this.maxBufferedBytes) return true;
      this.destroy('slow-consumer');
      return false;
    }
    while (inSocket + queue.bytes > this.maxBufferedBytes && queue.length > 0) {
      if (queue.shift() === frame) {
        this.droppedEvents++;
        return false;
      }
      this.droppedEvents++;
    }
    return true;
  }

  private alreadyReplayed(frame: OutboundFrame): boolean {
    const replayed = this.replayed as Map<string, string>;
    if (frame.channel === undefined || frame.position === undefined) return false;
    const last = replayed.get(frame.channel);
    if (last === undefined) return false;
    if (comparePositions(frame.position, last) <= 0) return true;
    // The channel has moved past the replay: nothing older can come any more.
    replayed.delete(frame.channel);
    if (replayed.size === 0) this.replayed = undefined;
    return false;
  }

  private hold(frame: OutboundFrame): boolean {
    (this.held as OutboundFrame[]).push(frame);
    this.heldBytes += frame.bytes.length;
    if (this.response.writableLength + this.heldBytes <= this.maxBufferedBytes) return true;
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
    for (const hook of this.retireHooks.splice(0)) hook();
  }

  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const hook of this.closeHooks.splice(0)) hook();
  }
}
