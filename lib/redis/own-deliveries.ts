/** How long a publish waits to see its own event delivered locally before reporting 0. */
const TIMEOUT_MS = 5_000;
/** Bound on publishes waiting at once, and on deliveries seen before their publish returned. */
const MAX_ENTRIES = 10_000;

/**
 * How many local connections took the events this instance published. Every instance serving
 * a channel delivers from its shard channel, the publisher included, so a publish learns its
 * count only when its own event comes back. An event is known by its channel and position:
 * stream ids are per channel, so publishes to two channels in one millisecond get the same one.
 * Both maps are bounded: past `maxEntries`, the oldest waiting publish reports 0 at once (as one
 * whose event never comes back does after `timeoutMs`), and the oldest early count is
 * forgotten.
 */
export class OwnDeliveries {
  private readonly waiting = new Map<
    string,
    { readonly resolve: (delivered: number) => void; readonly deadline: number }
  >();
  /** Deliveries of our own events seen before their publish call returned; normally claimed at once. */
  private readonly early = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs = TIMEOUT_MS,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  /** Resolves with the local delivery count of the channel's event at `position` once known. */
  wait(channel: string, position: string): Promise<number> {
    const key = keyOf(channel, position);
    const seen = this.early.get(key);
    if (seen !== undefined) {
      this.early.delete(key);
      return Promise.resolve(seen);
    }
    return new Promise((resolve) => {
      this.waiting.set(key, { resolve, deadline: Date.now() + this.timeoutMs });
      if (this.waiting.size > this.maxEntries) this.resolveOldest();
      this.sweepTimer ??= setInterval(() => this.sweep(), Math.min(1_000, this.timeoutMs)).unref();
    });
  }

  /** Our event at `position` of `channel` reached `delivered` local connections. */
  settle(channel: string, position: string, delivered: number): void {
    if (this.settleWaiting(channel, position, delivered)) return;
    this.early.set(keyOf(channel, position), delivered);
    if (this.early.size > this.maxEntries)
      this.early.delete(this.early.keys().next().value as string);
  }

  /** Like `settle()`, for a delivery that may not be ours: ignored unless a publish waits for it. */
  settleWaiting(channel: string, position: string, delivered: number): boolean {
    const key = keyOf(channel, position);
    const waiter = this.waiting.get(key);
    if (!waiter) return false;
    this.waiting.delete(key);
    waiter.resolve(delivered);
    return true;
  }

  /** The events publishes wait for now, as `[channel, position]`. */
  pending(): Array<[string, string]> {
    return [...this.waiting.keys()].map(partsOf);
  }

  /**
   * Every publish waiting for an event of `channel` reports `delivered`: the instance stopped
   * listening to the channel, so their events may never come back.
   */
  settleChannel(channel: string, delivered: number): void {
    if (this.waiting.size === 0) return;
    for (const [key, waiter] of this.waiting) {
      if (partsOf(key)[0] !== channel) continue;
      this.waiting.delete(key);
      waiter.resolve(delivered);
    }
  }

  /** Every waiting publish reports 0; for shutdown. */
  clear(): void {
    for (const { resolve } of this.waiting.values()) resolve(0);
    this.waiting.clear();
    this.early.clear();
    this.stopSweeping();
  }

  private resolveOldest(): void {
    const [key, waiter] = this.waiting.entries().next().value as [
      string,
      { resolve: (delivered: number) => void },
    ];
    this.waiting.delete(key);
    waiter.resolve(0);
  }

  /** Publishes whose event never came back (our subscription was down) report 0 deliveries. */
  private sweep(): void {
    const now = Date.now();
    for (const [key, waiter] of this.waiting) {
      if (waiter.deadline > now) continue;
      this.waiting.delete(key);
      waiter.resolve(0);
    }
    if (this.waiting.size === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}

/** A position holds no space: the first one ends it. */
function keyOf(channel: string, position: string): string {
  return `${position} ${channel}`;
}

/** The channel and position a key was made of. */
function partsOf(key: string): [string, string] {
  const space = key.indexOf(' ');
  return [key.slice(space + 1), key.slice(0, space)];
}
