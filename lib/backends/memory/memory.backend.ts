import {
  frameOf,
  frameText,
  historyEntryOf,
  isPosition,
  SseChannelFinishedError,
  SseUnknownEventIdError,
  targetedFrame,
  type ConnectionFilter,
  type OutboundFrame,
  type PreparedEvent,
  type PublishResult,
  type SseBackend,
  type SseBackendContext,
  type SseBackendHealth,
  type SseClusterStats,
  type SseConnectionInfo,
  type SseHistoryEntry,
  type SsePublishRequest,
  type SseReplayRequest,
  type SseReplayResult,
} from '../index.js';
import { HistoryRing, type HistoryEntry } from './history-ring.js';
import { SseMessages } from '../../sse.messages.js';

/**
 * The embedded default: one process, nothing to install. Positions are `<boot ms>-<sequence>`
 * with one sequence for the whole process, so they increase within every channel and never
 * repeat, and a position of any channel is a valid place in every other one. Everything a
 * publish does (position, history, delivery) happens synchronously in one call, so a replay and
 * concurrent publishes cannot interleave inside it.
 */
export class MemoryBackend implements SseBackend {
  private readonly epoch = Date.now();
  private sequence = 0;
  private attached: SseBackendContext | undefined;
  /** Rings by channel; Map order is recency of publish, for least-recently-used eviction. */
  private readonly histories = new Map<string, HistoryRing>();
  /**
   * The highest sequence of an event whose whole ring was forgotten (`history.maxChannels`): a
   * client behind it, on a channel whose ring is newer than its position, may have missed it.
   */
  private forgottenUpTo = 0;
  /** Finished channels and when that ends; Map order is age, for bounded eviction. */
  private readonly finished = new Map<string, number>();

  async attach(context: SseBackendContext): Promise<void> {
    this.attached = context;
  }

  async publish(request: SsePublishRequest): Promise<PublishResult> {
    if (this.finishedNow(request.channel)) throw new SseChannelFinishedError(request.channel);
    const frame = this.record(
      request.channel,
      request.event,
      request.historySize,
      request.conflateKey,
    );
    const exclude = request.exclude.length > 0 ? new Set(request.exclude) : undefined;
    return {
      id: frame.position,
      delivered: this.local.toChannel(request.channel, frame, exclude),
    };
  }

  async sendToConnection(
    connectionId: string,
    event: PreparedEvent,
    id: string | undefined,
  ): Promise<number> {
    return this.local.toConnection(connectionId, targetedFrame(frameText(event, id)));
  }

  async sendToUser(userId: string, event: PreparedEvent, id: string | undefined): Promise<number> {
    return this.local.toUser(userId, targetedFrame(frameText(event, id)));
  }

  async replay({ channels, from, last }: SseReplayRequest): Promise<SseReplayResult> {
    const rings = channels.map((channel) => this.ringOf(channel));
    const now = rings.map((ring) => ring?.newest()?.frame.position ?? this.head);
    if (from === undefined) {
      const entries =
        last > 0 ? merge(rings.map((ring) => ring?.last(last) ?? [])).slice(-last) : [];
      return { kind: 'events', frames: entries.map((entry) => entry.frame), positions: now };
    }
    const sequences = from.map((position) => this.sequenceOf(position));
    if (sequences.some((seq) => seq === undefined))
      return { kind: 'reset', reason: 'unknown-id', positions: now };
    if (rings.some((ring, i) => !this.holdsAllAfter(ring, sequences[i] as number)))
      return { kind: 'reset', reason: 'evicted', positions: now };
    const perChannel = rings.map((ring, i) => ring?.after(sequences[i] as number) ?? []);
    const positions = perChannel.map(
      (entries, i) => entries.at(-1)?.frame.position ?? (from[i] as string),
    );
    return { kind: 'events', frames: merge(perChannel).map((entry) => entry.frame), positions };
  }

  async history(
    channel: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<SseHistoryEntry[]> {
    const ring = this.ringOf(channel);
    if (afterId === undefined) return (ring?.last(limit) ?? []).map(publishedEntry);
    const seq = this.sequenceOf(afterId);
    if (seq === undefined) throw new SseUnknownEventIdError(channel, 'unknown-id');
    if (!this.holdsAllAfter(ring, seq)) throw new SseUnknownEventIdError(channel, 'evicted');
    return (ring?.after(seq) ?? []).slice(0, limit).map(publishedEntry);
  }

  async finish(
    channel: string,
    lastEvent: PreparedEvent | undefined,
    ttlMs: number,
  ): Promise<number> {
    this.finished.delete(channel);
    this.finished.set(channel, Date.now() + ttlMs);
    if (this.finished.size > this.context.finished.maxChannels)
      this.finished.delete(this.finished.keys().next().value as string);
    const last =
      lastEvent && this.record(channel, lastEvent, this.ringOf(channel)?.capacity ?? 0, channel);
    return this.local.finishChannel(channel, last);
  }

  async isFinished(channel: string): Promise<boolean> {
    return this.finishedNow(channel);
  }

  async clusterStats(): Promise<SseClusterStats> {
    return { instances: 1, ...this.context.delivery.snapshot() };
  }

  async clusterList(filter: ConnectionFilter): Promise<SseConnectionInfo[]> {
    return this.context.delivery.list(filter);
  }

  /** Always available: everything it does happens in this process, with nothing to reach. */
  health(): SseBackendHealth {
    return { available: true };
  }

  async close(): Promise<void> {
    this.histories.clear();
    this.finished.clear();
  }

  private get context(): SseBackendContext {
    if (!this.attached) throw new Error(SseMessages.backendNotAttached('MemoryBackend'));
    return this.attached;
  }

  private get local() {
    return this.context.delivery;
  }

  /** The position of the newest event of any channel: every channel is at it or before it. */
  private get head(): string {
    return `${this.epoch}-${this.sequence}`;
  }

  private finishedNow(channel: string): boolean {
    const until = this.finished.get(channel);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.finished.delete(channel);
    return false;
  }

  /** Assigns the position and stores the frame; synchronous, so nothing can interleave. */
  private record(
    channel: string,
    event: PreparedEvent,
    historySize: number,
    conflateKey: string,
  ): OutboundFrame & { readonly position: string } {
    const seq = ++this.sequence;
    const position = `${this.epoch}-${seq}`;
    const bytes = frameOf(event, position);
    this.store(channel, historySize, {
      seq,
      at: Date.now(),
      frame: { bytes, isEvent: true, channel, position },
      json: event.json,
    });
    return { bytes, isEvent: true, channel, position, conflateKey };
  }

  /**
   * Keeps the entry in the channel's ring; a channel without history gets a ring of none,
   * which still records that the event is gone.
   */
  private store(channel: string, size: number, entry: HistoryEntry): void {
    let ring = this.histories.get(channel);
    if (ring) this.histories.delete(channel);
    else ring = new HistoryRing(size, entry.seq);
    this.histories.set(channel, ring);
    if (this.histories.size > this.context.history.maxChannels) this.forgetOldest();
    ring.push(entry);
  }

  private forgetOldest(): void {
    const [channel, ring] = this.histories.entries().next().value as [string, HistoryRing];
    this.histories.delete(channel);
    const newest = Math.max(ring.newest()?.seq ?? 0, ring.lostUpTo);
    if (newest > this.forgottenUpTo) this.forgottenUpTo = newest;
  }

  private ringOf(channel: string): HistoryRing | undefined {
    const ring = this.histories.get(channel);
    const maxAge = this.context.history.maxAgeMs;
    if (ring && maxAge !== undefined) ring.expire(Date.now() - maxAge);
    return ring;
  }

  /** The sequence of a position this process issued, or undefined (another process, forged). */
  private sequenceOf(position: string): number | undefined {
    if (!isPosition(position)) return undefined;
    const dash = position.indexOf('-');
    if (Number(position.slice(0, dash)) !== this.epoch) return undefined;
    const seq = Number(position.slice(dash + 1));
    return seq <= this.sequence ? seq : undefined;
  }

  /** Whether every event of the channel after `seq` is still in `ring`. */
  private holdsAllAfter(ring: HistoryRing | undefined, seq: number): boolean {
    if (ring && ring.lostUpTo > seq) return false;
    // Its ring is older than the position: no earlier ring of it can have been forgotten since.
    if (ring && ring.createdAt <= seq) return true;
    return this.forgottenUpTo <= seq;
  }
}

/** Merges per-channel lists (each in order) into publish order. */
function merge(lists: HistoryEntry[][]): HistoryEntry[] {
  const nonEmpty = lists.filter((list) => list.length > 0);
  return nonEmpty.length <= 1 ? (nonEmpty[0] ?? []) : nonEmpty.flat().sort((a, b) => a.seq - b.seq);
}

function publishedEntry(entry: HistoryEntry): SseHistoryEntry {
  return historyEntryOf(entry.frame.position, entry.frame.bytes, entry.json);
}
