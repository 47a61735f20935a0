import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type {
  SseCloseReason,
  SseConnectionInfo,
  SseConnectionState,
} from '../interfaces/sse-connection-info.interface.js';

export interface SseConnectionInit {
  readonly id: string;
  readonly channels: readonly string[];
  readonly remoteAddress: string | undefined;
  readonly userAgent: string | undefined;
  readonly response: ServerResponse;
  /** Past this many unsent bytes the client is treated as a slow consumer and dropped. */
  readonly maxBufferedBytes: number;
}

/**
 * One open `text/event-stream` response: it writes frames, counts what it sent, bounds what it
 * buffers, and runs its teardown exactly once, whichever side ends the stream.
 */
export class SseConnection {
  readonly id: string;
  readonly channels: readonly string[];
  readonly remoteAddress: string | undefined;
  readonly userAgent: string | undefined;
  readonly connectedAt = Date.now();
  state: SseConnectionState = 'connecting';
  closeReason: SseCloseReason | undefined;
  lastEventAt: number | undefined;
  /** Last time anything was written; the heartbeat only writes to connections idle since. */
  lastWriteAt = this.connectedAt;
  eventsSent = 0;
  bytesSent = 0;

  private readonly response: ServerResponse;
  private readonly maxBufferedBytes: number;
  private readonly teardowns: Array<() => void> = [];

  constructor(init: SseConnectionInit) {
    this.id = init.id;
    this.channels = init.channels;
    this.remoteAddress = init.remoteAddress;
    this.userAgent = init.userAgent;
    this.response = init.response;
    this.maxBufferedBytes = init.maxBufferedBytes;
    // 'close' fires once the response is over, whether the client left or the server ended it.
    this.response.once('close', () => this.teardown('client'));
  }

  /** True while the client is still there to receive a response. */
  get isReachable(): boolean {
    return !this.response.destroyed && !this.response.writableEnded;
  }

  /** Registers cleanup to run when the stream ends; runs it at once if it already has. */
  onTeardown(release: () => void): void {
    if (this.state === 'closed') release();
    else this.teardowns.push(release);
  }

  /** Sends the status line and headers, then the preamble, in one packet. */
  open(headers: OutgoingHttpHeaders, preamble: Buffer | undefined): void {
    if (this.state !== 'connecting') return;
    this.state = 'open';
    this.response.socket?.setNoDelay(true);
    this.response.writeHead(200, headers);
    if (preamble) this.write(preamble, Date.now(), false);
    else this.response.flushHeaders();
  }

  /**
   * Writes one encoded frame. `now` comes from the caller so a broadcast reads the clock once,
   * not once per subscriber. Returns false if the frame was not written.
   */
  write(frame: Buffer, now: number, isEvent = true): boolean {
    if (this.state !== 'open') return false;
    const response = this.response;
    if (response.writableLength + frame.length > this.maxBufferedBytes) {
      this.destroy('slow-consumer');
      return false;
    }
    response.write(frame);
    this.bytesSent += frame.length;
    this.lastWriteAt = now;
    if (isEvent) {
      this.eventsSent++;
      this.lastEventAt = now;
    }
    return true;
  }

  /** Ends the response gracefully, after what was written is flushed. */
  end(reason: SseCloseReason, lastFrame?: Buffer): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (lastFrame && this.state === 'open') this.write(lastFrame, Date.now());
    this.closeReason = reason;
    this.state = 'closing';
    this.response.end();
    this.teardown(reason);
  }

  /** Drops the connection at once; unsent bytes are discarded. */
  destroy(reason: SseCloseReason): void {
    if (this.state === 'closed') return;
    this.closeReason ??= reason;
    this.response.destroy();
    this.teardown(reason);
  }

  info(): SseConnectionInfo {
    return {
      id: this.id,
      channels: this.channels,
      remoteAddress: this.remoteAddress,
      userAgent: this.userAgent,
      state: this.state,
      connectedAt: new Date(this.connectedAt),
      lastEventAt: this.lastEventAt === undefined ? undefined : new Date(this.lastEventAt),
      eventsSent: this.eventsSent,
      bytesSent: this.bytesSent,
      bufferedBytes: this.response.writableLength,
    };
  }

  private teardown(reason: SseCloseReason): void {
    if (this.state === 'closed') return;
    this.closeReason ??= reason;
    this.state = 'closed';
    for (const release of this.teardowns.splice(0)) release();
  }
}
