import { connect, type Socket } from 'node:net';
import { MARKER_BYTE } from '../config.js';
import { now } from '../shared/clock.js';

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 16 * 1024;

/**
 * All sockets of a client process read into this one buffer: a read is handled synchronously
 * before the next can happen, and no Buffer is allocated per read. Its size bounds one read, so
 * a stream that is behind is caught up in few system calls.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/** What a reader reports to, and the target it checks its count against. */
export interface ReaderOwner {
  /** Events every stream should reach in the collection under way; undefined between them. */
  readonly target: number | undefined;
  headers(reader: SseReader, at: number): void;
  /** The stream has reached `target` or gone past it (`reader.events` says which). */
  reached(reader: SseReader): void;
  failed(reader: SseReader, error: Error): void;
}

/**
 * One SSE stream over a raw TCP socket: sends the GET, checks for a 200 response, then counts
 * bench events and nothing else. The per-read work is the least that still counts events
 * exactly: one `memchr` per event for the marker byte (`config.ts`), no parsing, no copy, no
 * decoding. The clock is read only when a collection needs the time (the read that brings the
 * stream to the target), or on every read with events while none is under way (streams that
 * receive events before the orchestrator's collect call arrives, such as a replay).
 */
export class SseReader {
  /** Bench events received since the stream opened. */
  events = 0;
  /** When the read that brought `events` to its current value (or to the target) returned. */
  lastEventAt = 0;
  /** Body bytes received, chunk framing included. */
  bodyBytes = 0;
  private headersDone = false;
  private failed = false;
  private head: Buffer | undefined;
  private readonly socket: Socket;

  constructor(
    port: number,
    host: string,
    request: Buffer,
    private readonly owner: ReaderOwner,
  ) {
    this.socket = connect({
      port,
      host,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (length) => {
          try {
            this.onRead(length);
          } catch (error) {
            this.fail(error as Error);
          }
          return true;
        },
      },
    });
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error('the server closed the stream')));
    this.socket.write(request);
  }

  close(): void {
    this.socket.removeAllListeners('close');
    this.socket.removeAllListeners('error');
    this.socket.on('error', () => undefined);
    this.socket.destroy();
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.owner.failed(this, error);
  }

  private onRead(length: number): void {
    let body: Buffer = READ_BUFFER.subarray(0, length);
    if (!this.headersDone) {
      const rest = this.readHead(body);
      if (rest === undefined) return;
      body = rest;
    }
    this.bodyBytes += body.length;
    const count = countMarkers(body);
    if (count === 0) return;
    this.events += count;
    const target = this.owner.target;
    if (target === undefined) this.lastEventAt = now();
    else if (this.events >= target) {
      this.lastEventAt = now();
      this.owner.reached(this);
    }
  }

  /** Consumes the response head; returns the body bytes of this read once it is complete. */
  private readHead(chunk: Buffer): Buffer | undefined {
    const head = this.head ? Buffer.concat([this.head, chunk]) : chunk;
    const end = head.indexOf(HEAD_END);
    if (end === -1) {
      if (head.length > MAX_HEAD_BYTES) throw new Error('response head too long');
      // A copy: the read buffer is reused by the next read.
      this.head = Buffer.from(head);
      return undefined;
    }
    const statusLine = head.toString('latin1', 0, head.indexOf('\r\n'));
    if (!/^HTTP\/1\.1 200 /.test(statusLine))
      throw new Error(`expected a 200 response, got "${statusLine}"`);
    this.headersDone = true;
    this.head = undefined;
    this.owner.headers(this, now());
    return head.subarray(end + HEAD_END.length);
  }
}

/** Occurrences of the marker byte: one per bench event, found by `memchr`. */
function countMarkers(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(MARKER_BYTE); at !== -1; at = bytes.indexOf(MARKER_BYTE, at + 1))
    count++;
  return count;
}
