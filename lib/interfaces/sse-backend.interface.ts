import type { SseHistoryEntry } from './history.interface.js';
import type { PublishResult } from './publish.interface.js';
import type {
  ConnectionFilter,
  SseCloseReason,
  SseClusterStats,
  SseConnectionInfo,
} from './sse-connection-info.interface.js';
import type { OutboundFrame, PreparedEvent } from './sse-frame.interface.js';
import type { SseBackendHealth } from './sse-health.interface.js';

/**
 * How a backend reaches this process's connections. The module implements it; a backend calls
 * it for every message that must reach local clients (for a distributed backend: including
 * messages published by other instances). What it writes to one socket in one tick leaves in
 * one system call, so a backend handing over the messages of one read need do nothing more.
 */
export interface SseLocalDelivery {
  /** Writes `frame` to the channel's local subscribers, except `exclude`; returns how many. */
  toChannel(channel: string, frame: OutboundFrame, exclude?: ReadonlySet<string>): number;
  /** Writes `frame` to one local connection; returns 1, or 0 if it is not here. */
  toConnection(connectionId: string, frame: OutboundFrame): number;
  /** Writes `frame` to every local connection of the user; returns how many. */
  toUser(userId: string, frame: OutboundFrame): number;
  /** Ends the channel's local streams after `lastFrame`; returns how many. */
  finishChannel(channel: string, lastFrame: OutboundFrame | undefined): number;
  /**
   * Ends the channel's local streams with `reason` (after what they have queued), the channel
   * itself going on: for a backend that cannot deliver their next events in order, `'resync'`
   * sends their clients back with `Last-Event-ID`. Returns how many.
   *
   * @example
   * // Events of 'rooms/42' were lost while the transport was down: its clients resume.
   * const ended = delivery.disconnectChannel('rooms/42', 'resync');
   */
  disconnectChannel(channel: string, reason: SseCloseReason): number;
  /** This process's connections and totals, for cluster-wide views. */
  snapshot(): SseLocalSnapshot;
  list(filter: ConnectionFilter): SseConnectionInfo[];
  /**
   * Tells `watcher` when a channel gets its first local stream and when its last one leaves,
   * so that a distributed backend listens only to the channels this process serves. Returns
   * the function that stops telling it.
   */
  watchChannels(watcher: SseChannelWatcher): () => void;
}

/** What {@link SseLocalDelivery.watchChannels} tells a backend. */
export interface SseChannelWatcher {
  /**
   * The channel's first local stream is opening. Called before that stream's `replay()`: a
   * backend that subscribes here and waits for the subscription in `replay()` loses nothing
   * published between the two (what both bring, the stream skips by position).
   */
  joined(channel: string): void;
  /** The channel's last local stream has gone. */
  left(channel: string): void;
}

/** What one instance reports about itself. */
export interface SseLocalSnapshot {
  readonly connections: number;
  readonly channels: Readonly<Record<string, number>>;
  readonly users: Readonly<Record<string, number>>;
}

/** Handed to `SseBackend.attach()` when the module starts. */
export interface SseBackendContext {
  readonly delivery: SseLocalDelivery;
  /** This process's id, the prefix of its connection ids (`<instance>-<n>`). */
  readonly instanceId: string;
  readonly history: { readonly maxAgeMs: number | undefined; readonly maxChannels: number };
  readonly finished: { readonly maxChannels: number };
}

export interface SsePublishRequest {
  readonly channel: string;
  /** The event but for its id, which is the position the backend assigns it in the channel. */
  readonly event: PreparedEvent;
  readonly exclude: readonly string[];
  readonly conflateKey: string;
  /** Events of this channel to keep in history (0: none). */
  readonly historySize: number;
}

/**
 * What a stream opening on `channels` needs: on a reconnect, the events after `from` (per
 * channel, in the same order: the positions its client's `Last-Event-ID` names); on a first
 * connect, the last `last` events (0: none) and where each channel is now.
 */
export interface SseReplayRequest {
  readonly channels: readonly string[];
  readonly from: readonly string[] | undefined;
  readonly last: number;
}

/**
 * The events to send before live ones, oldest first, each with its `channel` and `position`
 * (events of one channel in order; the backend may interleave channels as it likes, since a
 * stream's id tracks each channel on its own), and `positions`: per channel (same order as
 * requested), the position the stream is at once they are sent; live events at or before it
 * are skipped. A `reset` when history no longer holds every event after `from` (`evicted`), or
 * never issued a position (`unknown-id`), so the client must reload its state; its `positions`
 * say where the stream is now, if known.
 */
export type SseReplayResult =
  | {
      readonly kind: 'events';
      readonly frames: readonly OutboundFrame[];
      readonly positions: readonly string[];
    }
  | {
      readonly kind: 'reset';
      readonly reason: 'unknown-id' | 'evicted';
      readonly positions: readonly string[];
    };

/**
 * Where events go between `BroadcastService` and the connections: id assignment, history and,
 * for distributed backends, delivery across instances. The in-memory backend is the default;
 * `RedisBackend` (from `nestjs-sse-channels/redis`) carries events across instances. To plug in
 * another transport, implement it with what `nestjs-sse-channels/backend` exports.
 */
export interface SseBackend {
  /** Called once when the module starts, before any publish. */
  attach(context: SseBackendContext): Promise<void>;
  /**
   * Assigns the event its position in the channel (its id), keeps it in history and delivers
   * it. Rejects with `SseChannelFinishedError` while the channel is finished.
   */
  publish(request: SsePublishRequest): Promise<PublishResult>;
  sendToConnection(
    connectionId: string,
    event: PreparedEvent,
    id: string | undefined,
  ): Promise<number>;
  sendToUser(userId: string, event: PreparedEvent, id: string | undefined): Promise<number>;
  replay(request: SseReplayRequest): Promise<SseReplayResult>;
  /**
   * Stored events of a channel, oldest first, with their data as published: after the position
   * `afterId` (rejecting with `SseUnknownEventIdError` if some of those are gone, or it was never
   * issued), or the last `limit`.
   */
  history(channel: string, afterId: string | undefined, limit: number): Promise<SseHistoryEntry[]>;
  /** Marks the channel finished for `ttlMs` and ends its streams everywhere. */
  finish(channel: string, lastEvent: PreparedEvent | undefined, ttlMs: number): Promise<number>;
  isFinished(channel: string): Promise<boolean>;
  /** Totals over every live instance (this one only, for a single-process backend). */
  clusterStats(): Promise<SseClusterStats>;
  /** Connections of every live instance matching `filter`. */
  clusterList(filter: ConnectionFilter): Promise<SseConnectionInfo[]>;
  /**
   * Whether the backend can serve now, from state it already holds (no round trip: health
   * checks and metrics ask often). Optional: a backend without it counts as available.
   *
   * @example
   * health(): SseBackendHealth {
   *   return this.connected
   *     ? { available: true }
   *     : { available: false, reason: `broker unreachable: ${this.lastError}` };
   * }
   */
  health?(): SseBackendHealth;
  /**
   * Called once when the module stops, after the streams have ended. `signal` aborts when
   * `shutdownTimeoutMs` has run out: stop waiting on the transport then, so `app.close()` is not
   * held by a server that does not answer.
   */
  close(signal?: AbortSignal): Promise<void>;
}
