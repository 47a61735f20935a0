import type { OutboundFrame } from '../../connection/outbound-frame.js';
import { SseUnknownEventIdError } from '../../errors/sse-unknown-event-id.error.js';
import type { ConnectionFilter } from '../../connection/connection-pool.js';
import type { SseHistoryEntry } from '../../interfaces/history.interface.js';
import type { PublishResult } from '../../interfaces/publish.interface.js';
import type {
  SseClusterStats,
  SseConnectionInfo,
} from '../../interfaces/sse-connection-info.interface.js';
import { frameOf, type PreparedEvent } from '../../wire/event-encoder.js';
import { readFrame } from '../../wire/frame-reader.js';
import type {
  SseBackend,
  SseBackendContext,
  SsePublishRequest,
  SseReplayRequest,
  SseReplayResult,
} from '../sse-backend.interface.js';
import { HistoryRing, type HistoryEntry } from './history-ring.js';

/**
 * The embedded default: one process, nothing to install. Ids are `<boot ms>-<sequence>` with one
 * sequence for the whole process, so they increase within every channel and never repeat.
 * Everything a publish does (id, history, delivery) happens synchronously in one call, so a
 * replay and concurrent publishes cannot interleave inside it.
 */
export class MemoryBackend implements SseBackend {
  private readonly epoch = Date.now();
  private readonly idPattern = new RegExp(`^${this.epoch}-(\\d+)$`);
  private sequence = 0;
  private attached: SseBackendContext | undefined;
  /** Rings by channel; Map order is recency of publish, for least-recently-used eviction. */
  private readonly histories = new Map<string, HistoryRing>();
  /** Finished channels and when that ends; Map order is age, for bounded eviction. */
  private readonly finished = new Map<string, number>();

  async attach(context: SseBackendContext): Promise<void> {
    this.attached = context;
  }

  async publish(request: SsePublishRequest): Promise<PublishResult> {
    const { frame, id } = this.record(
      request.channel,
      request.event,
      request.id,
      request.historySize,
      request.conflateKey,
    );
    const exclude = request.exclude.length > 0 ? new Set(request.exclude) : undefined;
    return { id, delivered: this.local.toChannel(request.channel, frame, exclude) };
  }

  async sendToConnection(
    connectionId: string,
    event: PreparedEvent,
    id: string | undefined,
  ): Promise<number> {
    return this.local.toConnection(connectionId, { bytes: frameOf(event, id), isEvent: true });
  }

  async sendToUser(userId: string, event: PreparedEvent, id: string | undefined): Promise<number> {
    return this.local.toUser(userId, { bytes: frameOf(event, id), isEvent: true });
  }

  async replay(request: SseReplayRequest): Promise<SseReplayResult> {
    const rings = request.channels.flatMap((channel) => this.ringOf(channel) ?? []);
    let entries: HistoryEntry[];
    let upTo: number;
    if (request.lastEventId === undefined) {
      entries = merge(rings.map((ring) => ring.last(request.last))).slice(-request.last);
      upTo = entries.at(-1)?.seq ?? 0;
    } else {
      const seq = this.locate(rings, request.lastEventId);
      if (typeof seq !== 'number') return { kind: 'reset', reason: seq };
      entries = merge(rings.map((ring) => ring.after(seq)));
      upTo = entries.at(-1)?.seq ?? seq;
    }
    // One sequence for all channels: the replay covers every channel up to the same point.
    const position = `${this.epoch}-${upTo}`;
    const after = Object.fromEntries(request.channels.map((channel) => [channel, position]));
    const frames = entries.map((entry) => entry.frame);
    return { kind: 'events', frames, after };
  }

  async history(
    channel: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<SseHistoryEntry[]> {
    const ring = this.ringOf(channel);
    if (afterId === undefined)
      return (ring?.last(limit) ?? []).map((e) => readFrame(e.id, e.frame.bytes));
    const seq = this.locate(ring ? [ring] : [], afterId);
    if (typeof seq !== 'number') throw new SseUnknownEventIdError(channel, seq);
    return (ring as HistoryRing)
      .after(seq)
      .slice(0, limit)
      .map((e) => readFrame(e.id, e.frame.bytes));
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
      lastEvent &&
      this.record(channel, lastEvent, undefined, this.ringOf(channel)?.capacity ?? 0, channel)
        .frame;
    return this.local.finishChannel(channel, last);
  }

  async isFinished(channel: string): Promise<boolean> {
    const until = this.finished.get(channel);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.finished.delete(channel);
    return false;
  }

  async clusterStats(): Promise<SseClusterStats> {
    return { instances: 1, ...this.context.delivery.snapshot() };
  }

  async clusterList(filter: ConnectionFilter): Promise<SseConnectionInfo[]> {
    return this.context.delivery.list(filter);
  }

  async close(): Promise<void> {
    this.histories.clear();
    this.finished.clear();
  }

  private get context(): SseBackendContext {
    if (!this.attached) throw new Error('MemoryBackend used before attach()');
    return this.attached;
  }

  private get local() {
    return this.context.delivery;
  }

  /** Assigns the id and stores the frame; synchronous, so nothing can interleave. */
  private record(
    channel: string,
    event: PreparedEvent,
    givenId: string | undefined,
    historySize: number,
    conflateKey: string,
  ): { frame: OutboundFrame; id: string } {
    const seq = ++this.sequence;
    const position = `${this.epoch}-${seq}`;
    const id = givenId ?? position;
    const bytes = frameOf(event, id);
    if (historySize > 0)
      this.store(
        channel,
        { seq, id, at: Date.now(), frame: { bytes, isEvent: true } },
        givenId !== undefined,
        historySize,
      );
    return { frame: { bytes, isEvent: true, channel, position, conflateKey }, id };
  }

  private store(channel: string, entry: HistoryEntry, customId: boolean, size: number): void {
    let ring = this.histories.get(channel);
    if (ring) this.histories.delete(channel);
    else ring = new HistoryRing(size);
    this.histories.set(channel, ring);
    if (this.histories.size > this.context.history.maxChannels) {
      this.histories.delete(this.histories.keys().next().value as string);
    }
    ring.push(entry, customId);
  }

  private ringOf(channel: string): HistoryRing | undefined {
    const ring = this.histories.get(channel);
    const maxAge = this.context.history.maxAgeMs;
    if (ring && maxAge !== undefined) ring.expire(Date.now() - maxAge);
    return ring;
  }

  /** The sequence of `id` in one of `rings`, or why it cannot be found. */
  private locate(rings: HistoryRing[], id: string): number | 'unknown-id' | 'evicted' {
    const ours = this.idPattern.exec(id);
    if (ours) {
      const seq = Number(ours[1]);
      if (rings.some((ring) => ring.bySeq(seq))) return seq;
      // An id this process issued that is older than everything kept was evicted.
      const oldest = Math.min(...rings.map((ring) => ring.oldest()?.seq ?? Infinity));
      return seq <= this.sequence && seq < oldest ? 'evicted' : 'unknown-id';
    }
    for (const ring of rings) {
      const entry = ring.byCustomId(id);
      if (entry) return entry.seq;
    }
    return 'unknown-id';
  }
}

function merge(lists: HistoryEntry[][]): HistoryEntry[] {
  return lists.length === 1
    ? (lists[0] as HistoryEntry[])
    : lists.flat().sort((a, b) => a.seq - b.seq);
}
