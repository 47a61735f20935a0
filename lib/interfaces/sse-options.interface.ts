import type { SseBackend } from './sse-backend.interface.js';
import type { SseRequest } from './sse-channel-options.interface.js';
import type { SseEvent } from './sse-event.interface.js';

/** What a slow client's connection does with events its socket cannot take yet. */
export type SlowConsumerPolicy = 'disconnect' | 'drop-oldest' | 'conflate';

/** Rules for the channels a pattern matches (the `SseChannelDeclaration` option, validated). */
export interface SseChannelRule {
  readonly pattern: string;
  readonly payload?: new (...args: never[]) => object;
  readonly historySize?: number;
}

/** The options after defaults are merged: what the services read. */
export interface ResolvedSseOptions {
  readonly backend: SseBackend | undefined;
  readonly heartbeatIntervalMs: number;
  readonly retryMs: number;
  readonly userId: (request: SseRequest) => string | undefined;
  readonly maxConnections: number | undefined;
  readonly maxConnectionsPerUser: number | undefined;
  readonly maxDurationMs: number | undefined;
  readonly maxBufferedBytes: number;
  readonly slowConsumer: SlowConsumerPolicy;
  readonly history: {
    readonly size: number;
    readonly maxAgeMs: number | undefined;
    readonly maxChannels: number;
  };
  readonly replayOnConnect: number;
  readonly channels: readonly SseChannelRule[];
  readonly shutdownEvent: SseEvent | null;
  readonly shutdownTimeoutMs: number;
  readonly finished: { readonly ttlMs: number; readonly maxChannels: number };
}
