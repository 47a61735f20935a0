import { connect, type Socket } from 'node:net';
import { now } from '../shared/clock.js';
import { FrameScanner } from './frame-scanner.js';

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 16 * 1024;

/**
 * All sockets of a client process read into this one buffer: a read is handled synchronously
 * before the next can happen, and no Buffer is allocated per read.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export interface ReaderEvents {
  headers(reader: SseReader, at: number): void;
  /** `frames` is the reader's new total; `at` the time of the read that completed them. */
  frames(reader: SseReader, frames: number, at: number): void;
  failed(reader: SseReader, error: Error): void;
}

/**
 * One SSE stream over a raw TCP socket: sends the GET, checks for a 200 response, then counts
 * events. No SSE or HTTP client library is involved, so the client costs as little as possible.
 */
export class SseReader {
  frames = 0;
  lastFrameAt = 0;
  bodyBytes = 0;
  private headersDone = false;
  private failed = false;
  private head: Buffer | undefined;
  private readonly scanner = new FrameScanner();
  private readonly socket: Socket;

  constructor(port: number, host: string, request: Buffer, events: ReaderEvents) {
    this.socket = connect({
      port,
      host,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (length) => {
          try {
            this.onRead(READ_BUFFER.subarray(0, length), events);
          } catch (error) {
            this.fail(error as Error, events);
          }
          return true;
        },
      },
    });
    this.socket.on('error', (error) => this.fail(error, events));
    this.socket.on('close', () => this.fail(new Error('the server closed the stream'), events));
    this.socket.write(request);
  }

  close(): void {
    this.socket.removeAllListeners('close');
    this.socket.removeAllListeners('error');
    this.socket.on('error', () => undefined);
    this.socket.destroy();
  }

  private fail(error: Error, events: ReaderEvents): void {
    if (this.failed) return;
    this.failed = true;
    events.failed(this, error);
  }

  private onRead(chunk: Buffer, events: ReaderEvents): void {
    const at = now();
    if (!this.headersDone) {
      const head = this.head ? Buffer.concat([this.head, chunk]) : chunk;
      const end = head.indexOf(HEAD_END);
      if (end === -1) {
        if (head.length > MAX_HEAD_BYTES) throw new Error('response head too long');
        this.head = Buffer.from(head);
        return;
      }
      const statusLine = head.toString('latin1', 0, head.indexOf('\r\n'));
      if (!/^HTTP\/1\.1 200 /.test(statusLine))
        throw new Error(`expected a 200 response, got "${statusLine}"`);
      this.headersDone = true;
      this.head = undefined;
      events.headers(this, at);
      chunk = head.subarray(end + HEAD_END.length);
      if (chunk.length === 0) return;
    }
    this.bodyBytes += chunk.length;
    const completed = this.scanner.feed(chunk);
    if (completed > 0) {
      this.frames += completed;
      this.lastFrameAt = at;
      events.frames(this, this.frames, at);
    }
  }
}
