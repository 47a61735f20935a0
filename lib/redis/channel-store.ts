import type { PreparedEvent } from '../backends/index.js';
import type { ScriptedRedis } from './redis-clients.js';
import type { RedisKeys } from './redis-keys.js';
import {
  finishScriptArgs,
  publishScriptArgs,
  readScriptArgs,
  type ReadStatus,
} from './redis-scripts.js';
import { readStreamEntry, type StreamEntry } from './stream-entry.js';

/** What `READ_SCRIPT` found for one channel. */
export interface HistoryRead {
  readonly status: ReadStatus;
  readonly position: string;
  readonly entries: StreamEntry[];
}

/**
 * The channels' data in Redis: each channel's history stream and finished marker, written and
 * read through the scripts.
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
        historySize,
        streamTtlMs: this.streamTtlMs,
        maxAgeMs: this.maxAgeMs,
        head: event.head,
        tail: event.tail,
        json: event.json,
        events: this.keys.channelEvents(channel),
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
        events: this.keys.channelEvents(channel),
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

  /**
   * For each channel, in order, whether it is finished. One command per channel, sent together:
   * on a cluster, channels' keys are in different slots, which one command may not span.
   */
  finishedAmong(channels: readonly string[]): Promise<boolean[]> {
    return Promise.all(channels.map((channel) => this.isFinished(channel)));
  }
}
