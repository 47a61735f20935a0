import type { OutboundFrame } from '../../connection/outbound-frame.js';

/** One stored event: its process-wide sequence number, id, publish time and frame. */
export interface HistoryEntry {
  readonly seq: number;
  readonly id: string;
  readonly at: number;
  /**
   * The event as a replay sends it: without channel position or conflation key (a replay is
   * never skipped or conflated). One object for every replay of the event, so its HTTP chunk
   * is framed once however many clients resume.
   */
  readonly frame: OutboundFrame;
}

/**
 * A channel's last N events, oldest first. Sequence numbers increase, so lookups by sequence
 * are binary searches; ids the caller chose are indexed in a map bounded by the ring.
 */
export class HistoryRing {
  private readonly entries: Array<HistoryEntry | undefined>;
  private start = 0;
  private count = 0;
  private readonly customIds = new Map<string, HistoryEntry>();

  constructor(readonly capacity: number) {
    this.entries = new Array<HistoryEntry | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(entry: HistoryEntry, customId: boolean): void {
    if (this.count === this.capacity) this.evictOldest();
    this.entries[(this.start + this.count) % this.capacity] = entry;
    this.count++;
    if (customId) this.customIds.set(entry.id, entry);
  }

  /** Drops entries published before `cutoff`. */
  expire(cutoff: number): void {
    while (this.count > 0 && (this.at(0) as HistoryEntry).at < cutoff) this.evictOldest();
  }

  oldest(): HistoryEntry | undefined {
    return this.count === 0 ? undefined : this.at(0);
  }

  bySeq(seq: number): HistoryEntry | undefined {
    const index = this.indexAfter(seq - 1);
    const entry = index < this.count ? this.at(index) : undefined;
    return entry?.seq === seq ? entry : undefined;
  }

  byCustomId(id: string): HistoryEntry | undefined {
    return this.customIds.get(id);
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
    if (oldest && this.customIds.get(oldest.id) === oldest) this.customIds.delete(oldest.id);
  }
}
