/** The texts of `nestjs-sse-channels/terminus`, as `sse.messages.ts` holds the module's. */
export const TerminusMessages = {
  stopping: () => 'SseModule is shutting down: new streams are refused',
  backendUnavailable: (reason: string | undefined) =>
    `SSE backend unavailable${reason === undefined ? '' : `: ${reason}`}`,
  atCapacity: (connections: number, limit: number, maxConnections: number) =>
    limit === maxConnections
      ? `${connections} live streams: maxConnections (${maxConnections}) reached, new streams get 503`
      : `${connections} live streams reach the connectionsThreshold (${limit} of maxConnections ${maxConnections})`,
  thresholdInvalid: (value: unknown) =>
    `SseHealthIndicator: connectionsThreshold must be a number above 0 and at most 1 (got ${String(value)})`,
} as const;
