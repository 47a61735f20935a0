import type { SseBackend } from './sse-backend.interface.js';
import type { SseRequest } from './sse-channel-options.interface.js';
import type { SseEvent } from './sse-event.interface.js';
import type { SseEventContract } from '../protocol/event-contract.js';

/** What a slow client's connection does with events its socket cannot take yet. */
export type SlowConsumerPolicy = 'disconnect' | 'drop-oldest' | 'conflate';

/** Rules for the channels a pattern matches (the `SseChannelDeclaration` option, validated). */
export interface SseChannelRule {
  readonly pattern: string;
  readonly payload?: new (...args: never[]) => object;
  /** The channel's events (a `defineSseEvents()` contract): names and payloads checked per event. */
  readonly events?: SseEventContract;
  readonly historySize?: number;
}

/**
 * An OpenTelemetry `MeterProvider`, as the module uses it: described here by shape, so that
 * the library's types do not need `@opentelemetry/api`, which is an optional dependency. A
 * `MeterProvider` from `@opentelemetry/sdk-metrics` (or the API's) fits.
 *
 * @example
 * const meterProvider = new MeterProvider({ readers: [new PrometheusExporter({ port: 9464 })] });
 * SseModule.forRoot({ metrics: { meterProvider } });
 */
export interface SseMeterProvider {
  getMeter(name: string, version?: string): object;
}

/** The `metrics` option after defaults are merged. */
export interface ResolvedSseMetricsOptions {
  readonly enabled: boolean;
  readonly meterProvider: SseMeterProvider | undefined;
  readonly channelAttribute: ((channel: string) => string | undefined) | undefined;
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
  readonly metrics: ResolvedSseMetricsOptions;
}
