import type { OutboundFrame } from '../index.js';

/** One stored event: its process-wide sequence number, publish time and frame. */
export interface HistoryEntry {
  readonly seq: number;
  readonly at: number;
  /**
   * The event as a replay sends it, with its channel and position (a replaying stream's id
   * follows them) but no conflation key (a replay is never conflated). One object for every
   * replay of the event, so its HTTP chunk is framed once however many clients resume.
   */
  readonly frame: OutboundFrame & { readonly position: string };
  /** Its data was JSON-encoded: `history()` parses it back. */
  readonly json: boolean;
}

/**
 * A channel's last N events, oldest first (N may be 0: then it keeps none, but still knows which
 * it lost). Sequence numbers increase, so lookups by sequence are binary searches.
 */
export class HistoryRing {
  private readonly entries: Array<HistoryEntry | undefined>;
  private start = 0;
  private count = 0;
  /** The highest sequence no longer kept (dropped by size or age); 0 while none was. */
  private lost = 0;

  constructor(
    readonly capacity: number,
    /** The sequence of the first event it was given: before it, the channel had no ring. */
    readonly createdAt: number,
  ) {
    this.entries = new Array<HistoryEntry | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The highest sequence of an event it no longer holds, 0 if none. */
  get lostUpTo(): number {
    return this.lost;
  }

  push(entry: HistoryEntry): void {
    if (this.capacity === 0) {
      this.lost = entry.seq;
      return;
    }
    if (this.count === this.capacity) this.evictOldest();
    this.entries[(this.start + this.count) % this.capacity] = entry;
    this.count++;
  }

  /** Drops entries published before `cutoff`. */
  expire(cutoff: number): void {
    while (this.count > 0 && (this.at(0) as HistoryEntry).at < cutoff) this.evictOldest();
  }

  newest(): HistoryEntry | undefined {
    return this.count === 0 ? undefined : this.at(this.count - 1);
  }

  /** Entries with a sequence above `seq`, oldest first. */
  after(seq: number): HistoryEntry[] {
    return this.slice(this.indexAfter(seq));
  }

  /** The last `n` entries, oldest first. */
  last(n: number): HistoryEntry[] {
    return this.slice(Math.max(0, this.count - n));
  }

  private slice(from: number): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (let i = from; i < this.count; i++) out.push(this.at(i) as HistoryEntry);
    return out;
  }

  /** Index of the first entry whose sequence is above `seq`. */
  private indexAfter(seq: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.at(mid) as HistoryEntry).seq <= seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private at(index: number): HistoryEntry | undefined {
    return this.entries[(this.start + index) % this.capacity];
  }

  private evictOldest(): void {
    const oldest = this.entries[this.start];
    this.entries[this.start] = undefined;
    this.start = (this.start + 1) % this.capacity;
    this.count--;
    if (oldest) this.lost = oldest.seq;
  }
}
