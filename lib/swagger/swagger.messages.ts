/**
 * The texts `nestjs-sse-channels/swagger` writes into OpenAPI documents, in one place, beside
 * its entry point (as `client.messages.ts` is beside the client's).
 */
export const SSE_SWAGGER_TEXTS = {
  stream: () =>
    'A stream of Server-Sent Events (text/event-stream): what the handler returns and what is published to its channels.',
  streamWithEvents: () =>
    'A stream of Server-Sent Events (text/event-stream). The schema is that of one event: its name (`event`), its `id` and its `data`, JSON-encoded unless the payload is a string.',
  undeclaredEvents: () => 'Server-Sent Events; this route declares no event contract.',
  messageEvent: () =>
    'Absent on the wire for an unnamed event, which clients receive as `message`.',
  eventId: () =>
    "The event's position in its channel; clients send the last one back as Last-Event-ID to resume.",
  undocumentedPayload: () => 'Any JSON value (declared with ssePayload<T>() without a schema).',
  finished: () =>
    'The channel was finished (`finish()`) or the handler threw SseFinishedException: the client should stop reconnecting.',
  badChannel: (max: number) =>
    `The request names an invalid channel, or more than ${max} channels.`,
  unauthorized: () => 'A guard refused the request: not authenticated.',
  forbidden: () => 'A guard refused the request.',
  noChannel: () => 'No channel matches this request.',
  tooManyForUser: () =>
    'The user already holds `maxConnectionsPerUser` streams (only when that option is set).',
  unavailable: () => 'The server holds `maxConnections` streams, or is shutting down.',
} as const;
