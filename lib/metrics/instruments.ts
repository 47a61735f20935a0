import type { InstrumentOptions } from './meter.js';

/**
 * The module's instruments: names in the `sse.server.*` namespace (OpenTelemetry has no
 * semantic convention for Server-Sent Events), UCUM units, and the conventions' own attribute
 * names where one exists (`http.route`, `http.response.status_code`, `error.type`). The README's
 * table lists the same; Prometheus shows `sse.server.disconnects` as
 * `sse_server_disconnects_total`.
 */
export const SSE_INSTRUMENTS = {
  attempts: {
    name: 'sse.server.connection.attempts',
    description:
      'Requests for an @SseChannel() route, by outcome: opened, denied (401/403 before the route ran), rejected, limited, finished, shutdown, error, abandoned',
    unit: '{attempt}',
  },
  activeStreams: {
    name: 'sse.server.active_streams',
    description: 'Streams open now (headers sent, not yet ended)',
    unit: '{stream}',
  },
  disconnects: {
    name: 'sse.server.disconnects',
    description: 'Streams that ended, by reason',
    unit: '{stream}',
  },
  streamDuration: {
    name: 'sse.server.stream.duration',
    description: 'How long streams stayed open, by the reason they ended',
    unit: 's',
    advice: { explicitBucketBoundaries: [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 14400, 86400] },
  },
  eventsWritten: {
    name: 'sse.server.events.written',
    description: 'Events written to streams (library notices included, heartbeats not)',
    unit: '{event}',
  },
  bytesWritten: {
    name: 'sse.server.bytes.written',
    description: 'Bytes written to streams, heartbeats and preambles included',
    unit: 'By',
  },
  eventsDropped: {
    name: 'sse.server.events.dropped',
    description: 'Events a slow client never got, dropped by the slow-consumer policy',
    unit: '{event}',
  },
  publishDuration: {
    name: 'sse.server.publish.duration',
    description: 'Time BroadcastService.publish() took, validation and backend included',
    unit: 's',
    advice: {
      explicitBucketBoundaries: [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
      ],
    },
  },
  publishFanOut: {
    name: 'sse.server.publish.fan_out',
    description: 'Streams of this process a published event reached',
    unit: '{stream}',
    advice: { explicitBucketBoundaries: [0, 1, 5, 10, 50, 100, 500, 1000, 5000, 10000, 100000] },
  },
  replays: {
    name: 'sse.server.replays',
    description:
      'Streams that resumed from a Last-Event-ID or were sent recent events, by outcome: replayed, or reset (with its reason)',
    unit: '{replay}',
  },
  replayedEvents: {
    name: 'sse.server.replay.events',
    description: 'Events sent from history before live ones',
    unit: '{event}',
  },
  backendAvailable: {
    name: 'sse.server.backend.available',
    description: 'Whether the backend can serve now (1) or not (0), as its health() reports',
    unit: '1',
  },
  catchUps: {
    name: 'sse.server.backend.catch_ups',
    description: 'Catch-ups the backend started after losing its feed of events',
    unit: '{catch_up}',
  },
  resyncs: {
    name: 'sse.server.backend.resyncs',
    description:
      'Channels whose local streams a catch-up ended (reason resync) because it could not bring every event in order',
    unit: '{channel}',
  },
} as const satisfies Record<string, InstrumentOptions & { readonly name: string }>;

/** Attribute names. */
export const SSE_ATTRIBUTES = {
  route: 'http.route',
  status: 'http.response.status_code',
  errorType: 'error.type',
  outcome: 'sse.connection.outcome',
  closeReason: 'sse.close.reason',
  replayOutcome: 'sse.replay.outcome',
  resetReason: 'sse.reset.reason',
  policy: 'sse.slow_consumer.policy',
  channel: 'sse.channel',
  backend: 'sse.backend',
} as const;

/**
 * What became of a request for an `@SseChannel()` route: `opened` (200, the stream started);
 * `denied` (401 or 403 before the route ran: a guard); `rejected` (another 4xx: no or invalid
 * channel, a pipe); `limited` (429 `maxConnectionsPerUser`, 503 `maxConnections`); `finished`
 * (204, a finished channel); `shutdown` (503 during `app.close()`); `error` (the handler, or
 * anything before it, failed); `abandoned` (the client left before the stream opened).
 */
export type SseAttemptOutcome =
  'opened' | 'denied' | 'rejected' | 'limited' | 'finished' | 'shutdown' | 'error' | 'abandoned';
