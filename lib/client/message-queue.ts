/**
 * Messages waiting between the network reader and the one consumer.
 *
 * It never refuses a message: the reader asks `whenNotFull()` before each read, so the queue
 * stays within `maxItems` messages and `maxWeight` characters, give or take the messages of
 * one network chunk. What it bounds is the reading, which is what makes the server slow down.
 */
export class MessageQueue<T> {
  private items: T[] = [];
  private head = 0;
  private weight = 0;
  private readonly takers: Array<{
    resolve: (result: IteratorResult<T, undefined>) => void;
    reject: (error: unknown) => void;
  }> = [];
  private spaceWaiters: Array<() => void> = [];
  private ended = false;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly maxItems: number,
    private readonly maxWeight: number,
    private readonly weigh: (item: T) => number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get isFull(): boolean {
    return this.length >= this.maxItems || this.weight >= this.maxWeight;
  }

  push(item: T): void {
    if (this.ended) return;
    const taker = this.takers.shift();
    if (taker) return taker.resolve({ done: false, value: item });
    this.items.push(item);
    this.weight += this.weigh(item);
  }

  /** The next message; done once the queue has ended and is empty; rejects once with a failure. */
  take(): Promise<IteratorResult<T, undefined>> {
    if (this.length > 0) return Promise.resolve({ done: false, value: this.shift() });
    if (this.ended) {
      const failure = this.failure;
      this.failure = undefined;
      return failure ? Promise.reject(failure.error) : Promise.resolve(DONE);
    }
    return new Promise((resolve, reject) => this.takers.push({ resolve, reject }));
  }

  /** Resolves when the reader may read again; at once if it may now or the queue has ended. */
  whenNotFull(): Promise<void> {
    if (!this.isFull || this.ended) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  /** No more messages: those waiting are still handed out, then `failure` (if any) is thrown. */
  end(failure?: { error: unknown }): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    this.releaseReader();
    if (this.length > 0) return;
    const takers = this.takers.splice(0);
    for (const [index, taker] of takers.entries()) {
      if (index === 0 && this.failure) taker.reject(this.failure.error);
      else taker.resolve(DONE);
    }
    if (takers.length > 0) this.failure = undefined;
  }

  /** Drops every waiting message. */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.weight = 0;
    this.releaseReader();
  }

  private shift(): T {
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined as T;
    this.head++;
    this.weight -= this.weigh(item);
    // Compact once the consumed prefix dominates, so shifting stays O(1) amortised.
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (!this.isFull) this.releaseReader();
    return item;
  }

  private releaseReader(): void {
    if (this.spaceWaiters.length === 0) return;
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

const DONE: IteratorResult<never, undefined> = { done: true, value: undefined };
