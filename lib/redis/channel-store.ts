import type { PreparedEvent } from '../backends/index.js';
import type { ScriptedRedis } from './redis-clients.js';
import type { RedisKeys } from './redis-keys.js';
import {
  finishScriptArgs,
  publishScriptArgs,
  readScriptArgs,
  type ReadStatus,
} from './redis-scripts.js';
import { readStreamEntry, type RawStreamEntry, type StreamEntry } from './stream-entry.js';

/** What `READ_SCRIPT` found for one channel. */
export interface HistoryRead {
  readonly status: ReadStatus;
  readonly position: string;
  readonly entries: StreamEntry[];
}

/** Entries of the first page a newest-first read takes: a short loss, a recent id, fit in it. */
const FIRST_PAGE = 16;
/** Stream entries one read returns at most; newest-first pages double up to it. */
const PAGE = 500;

/**
 * The channels' data in Redis: each channel's history stream and finished marker, written and
 * read through the scripts, and the global sequence that orders events across channels.
 */
export class ChannelStore {
  constructor(
    private readonly commands: ScriptedRedis,
    private readonly keys: RedisKeys,
    private readonly streamTtlMs: number,
    /** The module's `history.maxAgeMs`; 0: no bound on age. */
    private readonly maxAgeMs: number,
  ) {}

  /**
   * Stores, trims and publishes an event in one round trip (`PUBLISH_SCRIPT`); returns its
   * position, or `FINISHED_REPLY`. With `finishedTtlMs` > 0 it is a finish's final event.
   */
  append(
    channel: string,
    event: PreparedEvent,
    historySize: number,
    openHeader: string,
    finishedTtlMs: number,
  ): Promise<string> {
    return this.commands.ssePublish(
      ...publishScriptArgs({
        historyKey: this.keys.history(channel),
        finishedKey: this.keys.finished(channel),
        sequenceKey: this.keys.sequence,
        historySize,
        streamTtlMs: this.streamTtlMs,
        maxAgeMs: this.maxAgeMs,
        head: event.head,
        tail: event.tail,
        json: event.json,
        bus: this.keys.bus,
        openHeader,
        finishedTtlMs,
      }),
    );
  }

  /** Marks the channel finished and publishes `message` (a finish without a final event). */
  markFinished(channel: string, finishedTtlMs: number, message: string): Promise<number> {
    return this.commands.sseFinish(
      ...finishScriptArgs({
        finishedKey: this.keys.finished(channel),
        finishedTtlMs,
        bus: this.keys.bus,
        message,
      }),
    );
  }

  /**
   * One channel's history as a stream opening on it needs it (see `READ_SCRIPT`): on a first
   * connect (`from` ''), where it is and its newest `count` events, oldest first; on a resume,
   * the events after `from` (at most `count`, 0: all), or why they cannot all be had.
   */
  async read(channel: string, from: string, count: number): Promise<HistoryRead> {
    const [status, position, raw] = await this.commands.sseRead(
      ...readScriptArgs({
        historyKey: this.keys.history(channel),
        from,
        count,
        streamTtlMs: this.streamTtlMs,
      }),
    );
    const entries = raw.map(readStreamEntry);
    if (from === '') entries.reverse();
    return { status, position, entries };
  }

  async isFinished(channel: string): Promise<boolean> {
    return (await this.commands.exists(this.keys.finished(channel))) === 1;
  }

  /** For each channel, in order, whether it is finished. */
  async finishedAmong(channels: readonly string[]): Promise<boolean[]> {
    const markers = await this.commands.mget(...channels.map((c) => this.keys.finished(c)));
    return markers.map((marker) => marker !== null);
  }

  /** The global sequence of the newest event published (0 before the first). */
  async sequence(): Promise<number> {
    return Number((await this.commands.get(this.keys.sequence)) ?? 0);
  }

  /**
   * The channel's entries newest first, a page at a time: 16, then twice as many each time, up
   * to 500, so what is near the end costs a small read and what is far a few large ones.
   */
  async *pagesNewestFirst(channel: string): AsyncGenerator<StreamEntry[]> {
    const key = this.keys.history(channel);
    let end = '+';
    for (let count = FIRST_PAGE; ; count = Math.min(count * 2, PAGE)) {
      const raw = (await this.commands.xrevrange(key, end, '-', 'COUNT', count)) as RawStreamEntry[];
      const page = raw.map(readStreamEntry);
      yield page;
      if (page.length < count) return;
      end = `(${(page.at(-1) as StreamEntry).position}`;
    }
  }

  /** The channel's entries after `boundary` (from its start without one), oldest first, by page. */
  async *pagesAfter(channel: string, boundary: string | undefined): AsyncGenerator<StreamEntry[]> {
    const key = this.keys.history(channel);
    let start = boundary === undefined ? '-' : `(${boundary}`;
    for (;;) {
      const raw = (await this.commands.xrange(key, start, '+', 'COUNT', PAGE)) as RawStreamEntry[];
      const page = raw.map(readStreamEntry);
      yield page;
      if (page.length < PAGE) return;
      start = `(${(page.at(-1) as StreamEntry).position}`;
    }
  }

  /**
   * Whether entries were ever removed from the channel's stream (trimmed to the history size or
   * age, Redis 7 `entries-added`). Without that information (Redis before 7), assumes they were.
   */
  async historyTrimmed(channel: string): Promise<boolean> {
    const info = (await this.commands.xinfo('STREAM', this.keys.history(channel))) as unknown[];
    const added = info.indexOf('entries-added');
    const length = info.indexOf('length');
    if (added < 0 || length < 0) return true;
    return Number(info[added + 1]) > Number(info[length + 1]);
  }
}
