import { HOST } from '../config.js';
import { now } from '../shared/clock.js';
import { announceReady, readInit, serveParent } from '../shared/child.js';
import type { ClientOps, CollectResult, OpenArgs, OpenResult, Rooms } from '../shared/protocol.js';
import { SseReader, type ReaderOwner } from './sse-reader.js';

/**
 * A client process: opens SSE streams over raw sockets and reports when events arrived. Several
 * of these run side by side so that reading is spread over processes; every run measures what
 * they can take (`client-capacity`) before it measures any server.
 */
class ClientFleet implements ReaderOwner {
  private readonly readers: SseReader[] = [];
  private opening: OpeningBatch | undefined;
  private collecting: Collection | undefined;
  /** Set when a stream fails outside an operation; the next operation reports it. */
  private failure: Error | undefined;

  get target(): number | undefined {
    return this.collecting?.target;
  }

  open({ port, path, count, concurrency, lastEventId, rooms }: OpenArgs): Promise<OpenResult> {
    this.throwIfFailed();
    if (this.opening) throw new Error('open: already opening');
    const resume = lastEventId === undefined ? '' : `Last-Event-ID: ${lastEventId}\r\n`;
    const requestTo = (target: string) =>
      Buffer.from(
        `GET ${target} HTTP/1.1\r\nHost: ${HOST}:${port}\r\nAccept: text/event-stream\r\n` +
          `Cache-Control: no-cache\r\n${resume}\r\n`,
        'latin1',
      );
    const shared = rooms ? undefined : requestTo(path);
    /** Stream `j`'s request: the one path, or its room's. */
    const request = (j: number) =>
      shared ?? requestTo(`${path}/${(rooms as Rooms).first + (rooms as Rooms).step * j}`);
    return new Promise((resolve, reject) => {
      const batch: OpeningBatch = {
        count,
        startedAt: now(),
        headersAt: 0,
        started: 0,
        done: 0,
        launch: () => {
          while (batch.started - batch.done < concurrency && batch.started < count) {
            this.readers.push(new SseReader(port, HOST, request(batch.started), this));
            batch.started++;
          }
        },
        resolve: () => {
          this.opening = undefined;
          resolve({ startedAt: batch.startedAt, headersAt: batch.headersAt });
        },
        reject: (error) => {
          this.opening = undefined;
          reject(error);
        },
      };
      this.opening = batch;
      if (count === 0) batch.resolve();
      else batch.launch();
    });
  }

  collect({ target }: { target: number }): Promise<CollectResult> {
    this.throwIfFailed();
    if (this.collecting) throw new Error('collect: already collecting');
    let reached = 0;
    for (const reader of this.readers) {
      if (reader.events > target)
        throw new Error(`a stream has ${reader.events} events, more than the ${target} expected`);
      if (reader.events === target) reached++;
    }
    return new Promise((resolve, reject) => {
      const collection: Collection = {
        target,
        reached,
        finish: () => {
          this.collecting = undefined;
          const times = new Float64Array(this.readers.length);
          let bodyBytes = 0;
          this.readers.forEach((reader, i) => {
            times[i] = reader.lastEventAt;
            bodyBytes += reader.bodyBytes;
          });
          resolve({ times, bodyBytes });
        },
        reject: (error) => {
          this.collecting = undefined;
          reject(error);
        },
      };
      this.collecting = collection;
      if (reached === this.readers.length) collection.finish();
    });
  }

  close(): number {
    const count = this.readers.length;
    for (const reader of this.readers.splice(0)) reader.close();
    this.failure = undefined;
    return count;
  }

  headers(_reader: SseReader, at: number): void {
    const batch = this.opening;
    if (!batch) return;
    batch.done++;
    batch.headersAt = Math.max(batch.headersAt, at);
    if (batch.done === batch.count) batch.resolve();
    else batch.launch();
  }

  reached(reader: SseReader): void {
    const collection = this.collecting;
    if (!collection) return;
    if (reader.events > collection.target)
      collection.reject(
        new Error(
          `a stream received ${reader.events} events, more than the ${collection.target} expected`,
        ),
      );
    else if (++collection.reached === this.readers.length) collection.finish();
  }

  failed(_reader: SseReader, error: Error): void {
    if (this.opening) this.opening.reject(error);
    else if (this.collecting) this.collecting.reject(error);
    else this.failure ??= error;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}

interface OpeningBatch {
  readonly count: number;
  readonly startedAt: number;
  headersAt: number;
  started: number;
  done: number;
  launch(): void;
  resolve(): void;
  reject(error: Error): void;
}

interface Collection {
  readonly target: number;
  reached: number;
  finish(): void;
  reject(error: Error): void;
}

const init = readInit<undefined>();
const fleet = new ClientFleet();
serveParent<ClientOps>(
  {
    open: (args) => fleet.open(args),
    collect: (args) => fleet.collect(args),
    close: () => fleet.close(),
  },
  init.lifetimeMs,
);
announceReady(null);
