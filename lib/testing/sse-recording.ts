import type { SseMessage, SseStream } from '../client/index.js';
import { SSE_TESTING_DEFAULTS } from './testing.constants.js';
import { describePredicate, SseTestingMessages, type RecordedState } from './testing.messages.js';

/** Options of {@link recordStream}. */
export interface SseRecordOptions {
  /** Default timeout of every `waitFor…()` in milliseconds. Default 5000. */
  readonly timeoutMs?: number;
  /**
   * Messages kept for `received` and for matching; past it, the oldest are dropped (and
   * counted in failure messages). Default 1000.
   */
  readonly historyLimit?: number;
}

/** Options of one wait. */
export interface SseWaitOptions {
  /** Overrides the stream's default timeout. */
  readonly timeoutMs?: number;
  /** Names what is awaited in the failure message; default: the predicate's source. */
  readonly description?: string;
}

type Outcome = { readonly failed: false } | { readonly failed: true; readonly error: unknown };

/** A wait's own verdict, as opposed to an exception thrown by the caller's predicate. */
class WaitFailure extends Error {}

/**
 * A stream consumed in the background and recorded, so a test can wait for what it expects
 * and, when that never comes, read in the failure message what came instead.
 *
 * Every wait looks at the messages already received as well as later ones, so publishing
 * before calling `waitFor()` is not a race.
 *
 * @example
 * const chat = recordStream(connect(`${url}/events/rooms/42`).json<{ text: string }>());
 * await chat.waitFor((m) => m.data.text === 'hi', { timeoutMs: 1000 });
 * chat.close();
 */
export class SseRecording<T = string> {
  private readonly history: SseMessage<T>[] = [];
  private droppedCount = 0;
  private outcome: Outcome | undefined;
  /** One entry per pending wait; each removes itself when it settles. */
  private readonly checks = new Set<() => void>();
  private readonly timeoutMs: number;
  private readonly historyLimit: number;

  constructor(
    readonly stream: SseStream<T>,
    options: SseRecordOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? SSE_TESTING_DEFAULTS.timeoutMs;
    this.historyLimit = options.historyLimit ?? SSE_TESTING_DEFAULTS.historyLimit;
    void this.consume();
  }

  /** The messages kept so far, oldest first (at most `historyLimit`). */
  get received(): readonly SseMessage<T>[] {
    return this.history;
  }

  /** Messages dropped from `received` because of `historyLimit`. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Whether the stream is over, normally or not. */
  get ended(): boolean {
    return this.outcome !== undefined;
  }

  /** The first message (received or to come) for which `predicate` holds. */
  waitFor(
    predicate: (message: SseMessage<T>) => boolean,
    options: SseWaitOptions = {},
  ): Promise<SseMessage<T>> {
    const what = describePredicate(predicate, options.description);
    return this.wait(options, what, () => this.history.find(predicate));
  }

  /** The first `count` messages (received or to come) for which `predicate` holds. */
  waitForCount(
    count: number,
    predicate: (message: SseMessage<T>) => boolean = () => true,
    options: SseWaitOptions = {},
  ): Promise<SseMessage<T>[]> {
    if (!Number.isInteger(count) || count < 1) {
      return Promise.reject(new RangeError(SseTestingMessages.invalidCount(count)));
    }
    const what = `${count} ${describePredicate(predicate, options.description).replace(/^an event/, 'events')}`;
    return this.wait(options, what, () => {
      const matching = this.history.filter(predicate);
      return matching.length >= count ? matching.slice(0, count) : undefined;
    });
  }

  /** Resolves with what was kept when the stream ends normally (e.g. HTTP 204); rejects if it fails. */
  waitForEnd(options: SseWaitOptions = {}): Promise<readonly SseMessage<T>[]> {
    return this.wait(options, options.description ?? 'the end of the stream', () => {
      if (this.outcome === undefined) return undefined;
      if (this.outcome.failed) {
        throw new WaitFailure(SseTestingMessages.failedWhileWaitingForEnd(this.state()), {
          cause: this.outcome.error,
        });
      }
      return this.history;
    });
  }

  /** Resolves with the error the stream fails with; rejects if it ends normally. */
  waitForError(options: SseWaitOptions = {}): Promise<unknown> {
    return this.wait(options, options.description ?? 'the stream to fail', () => {
      if (this.outcome === undefined) return undefined;
      if (!this.outcome.failed) {
        throw new WaitFailure(SseTestingMessages.endedWithoutError(this.state()));
      }
      return { error: this.outcome.error };
    }).then((found) => found.error);
  }

  /** Closes the stream; pending waits fail at once, with what was received. */
  close(): void {
    this.stream.close();
  }

  private async consume(): Promise<void> {
    try {
      for await (const message of this.stream) {
        this.history.push(message);
        if (this.history.length > this.historyLimit) {
          this.history.shift();
          this.droppedCount++;
        }
        this.notify();
      }
      this.outcome = { failed: false };
    } catch (error) {
      this.outcome = { failed: true, error };
    }
    this.notify();
  }

  private notify(): void {
    for (const check of [...this.checks]) check();
  }

  /**
   * Runs `find` now and after every message; settles with its first defined result, or fails
   * when the stream ends first or the time is up. `find` may throw to fail with its message.
   */
  private wait<R>(options: SseWaitOptions, what: string, find: () => R | undefined): Promise<R> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<R>((resolve, reject) => {
      const settle = (): void => {
        this.checks.delete(check);
        clearTimeout(timer);
      };
      const check = (): void => {
        let found: R | undefined;
        try {
          found = find();
        } catch (error) {
          settle();
          if (error instanceof WaitFailure) return reject(error);
          return reject(
            new Error(SseTestingMessages.predicateThrew(what, error, this.state()), {
              cause: error,
            }),
          );
        }
        if (found !== undefined) {
          settle();
          return resolve(found);
        }
        if (this.outcome !== undefined) {
          settle();
          const cause = this.outcome.failed ? this.outcome.error : undefined;
          reject(new Error(SseTestingMessages.endedWhileWaiting(what, this.state()), { cause }));
        }
      };
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(new Error(SseTestingMessages.timedOut(timeoutMs, what, this.state())));
      }, timeoutMs);
      this.checks.add(check);
      check();
    });
  }

  private state(): RecordedState {
    return {
      stream: this.stream as SseStream<unknown>,
      received: this.history,
      dropped: this.droppedCount,
      outcome: this.outcome,
    };
  }
}

/**
 * Consumes `stream` in the background and records it; see {@link SseRecording}.
 *
 * @example
 * const events = recordStream(connect(`${url}/events/ticks`));
 * expect((await events.waitForEnd()).map((m) => m.data)).toEqual(['1', '2', '3']);
 */
export function recordStream<T>(stream: SseStream<T>, options?: SseRecordOptions): SseRecording<T> {
  return new SseRecording(stream, options);
}
