import type { OutboundFrame } from '../../connection/outbound-frame.js';
import { SseUnknownEventIdError } from '../../errors/sse-unknown-event-id.error.js';
import type { SseHistoryEntry } from '../../interfaces/history.interface.js';
import type { PublishResult } from '../../interfaces/publish.interface.js';
import { frameOf, type PreparedEvent } from '../../wire/event-encoder.js';
import { readFrame } from '../../wire/frame-reader.js';
import type {
  SseBackend,
  SseLocalDelivery,
  SsePublishRequest,
  SseReplayRequest,
  SseReplayResult,
} from '../sse-backend.interface.js';
import { HistoryRing, type HistoryEntry } from './history-ring.js';

export interface MemoryBackendOptions {
  readonly history: { readonly maxAgeMs: number | undefined; readonly maxChannels: number };
  readonly finished: { readonly maxChannels: number };
}

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
  private delivery: SseLocalDelivery | undefined;
  /** Rings by channel; Map order is recency of publish, for least-recently-used eviction. */
  private readonly histories = new Map<string, HistoryRing>();
  /** Finished channels and when that ends; Map order is age, for bounded eviction. */
  private readonly finished = new Map<string, number>();

  constructor(private readonly options: MemoryBackendOptions) {}

  async attach(delivery: SseLocalDelivery): Promise<void> {
    this.delivery = delivery;
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
    if (request.lastEventId === undefined) {
      const entries = merge(rings.map((ring) => ring.last(request.last))).slice(-request.last);
      return {
        kind: 'events',
        entries: entries.map(toReplayEntry(this.epoch)),
        after: this.positionOf(entries.at(-1)),
      };
    }
    const seq = this.locate(rings, request.lastEventId);
    if (typeof seq !== 'number') return { kind: 'reset', reason: seq };
    const entries = merge(rings.map((ring) => ring.after(seq)));
    const after = entries.length > 0 ? this.positionOf(entries.at(-1)) : `${this.epoch}-${seq}`;
    return { kind: 'events', entries: entries.map(toReplayEntry(this.epoch)), after };
  }

  async history(
    channel: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<SseHistoryEntry[]> {
    const ring = this.ringOf(channel);
    if (afterId === undefined)
      return (ring?.last(limit) ?? []).map((e) => readFrame(e.id, e.frame));
    const seq = this.locate(ring ? [ring] : [], afterId);
    if (typeof seq !== 'number') throw new SseUnknownEventIdError(channel, seq);
    return (ring as HistoryRing)
      .after(seq)
      .slice(0, limit)
      .map((e) => readFrame(e.id, e.frame));
  }

  async finish(
    channel: string,
    lastEvent: PreparedEvent | undefined,
    ttlMs: number,
  ): Promise<number> {
    this.finished.delete(channel);
    this.finished.set(channel, Date.now() + ttlMs);
    if (this.finished.size > this.options.finished.maxChannels)
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

  async close(): Promise<void> {
    this.histories.clear();
    this.finished.clear();
  }

  private get local(): SseLocalDelivery {
    if (!this.delivery) throw new Error('MemoryBackend used before attach()');
    return this.delivery;
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
        { seq, id, at: Date.now(), frame: bytes },
        givenId !== undefined,
        historySize,
      );
    return { frame: { bytes, isEvent: true, position, conflateKey }, id };
  }

  private store(channel: string, entry: HistoryEntry, customId: boolean, size: number): void {
    let ring = this.histories.get(channel);
    if (ring) this.histories.delete(channel);
    else ring = new HistoryRing(size);
    this.histories.set(channel, ring);
    if (this.histories.size > this.options.history.maxChannels) {
      this.histories.delete(this.histories.keys().next().value as string);
    }
    ring.push(entry, customId);
  }

  private ringOf(channel: string): HistoryRing | undefined {
    const ring = this.histories.get(channel);
    const maxAge = this.options.history.maxAgeMs;
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

  private positionOf(entry: HistoryEntry | undefined): string | undefined {
    return entry && `${this.epoch}-${entry.seq}`;
  }
}

function merge(lists: HistoryEntry[][]): HistoryEntry[] {
  return lists.length === 1
    ? (lists[0] as HistoryEntry[])
    : lists.flat().sort((a, b) => a.seq - b.seq);
}

function toReplayEntry(epoch: number) {
  return (entry: HistoryEntry) => ({ position: `${epoch}-${entry.seq}`, frame: entry.frame });
}
