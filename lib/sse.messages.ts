/**
 * Every text the module's errors and logs carry, in one place, so they stay consistent and each
 * names what the user needs to fix (option, channel, connection id, field). The other entry
 * points keep theirs beside them: `client/client.messages.ts`, `testing/testing.messages.ts`,
 * `redis/redis.messages.ts`.
 */
const show = (value: unknown): string => {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

export const SseMessages = {
  fieldHasLineBreak: (field: string, value: string) =>
    `SSE event field "${field}" must not contain CR, LF or NUL (got ${show(value)})`,
  fieldNotString: (field: string, value: unknown) =>
    `SSE event field "${field}" must be a string (got ${show(value)})`,
  idNotResumable: (value: string, maxLength: number) =>
    `SSE event field "id" must be 1 to ${maxLength} UTF-16 code units long (its string length) without control characters, unpaired surrogates or a leading or trailing space, so that a client can send it back as Last-Event-ID (got ${show(value)})`,
  retryInvalid: (value: unknown) =>
    `SSE event field "retry" must be an integer number of milliseconds >= 0 (got ${show(value)})`,
  dataMissing: () => 'SSE event field "data" is required (undefined cannot be sent)',
  notAnEvent: (sender: string, value: unknown) =>
    `${sender} takes an event object { data, event?, retry?, comment? } (got ${show(value)}); to send a value as it is, wrap it: { data: value }`,
  unknownEventKey: (sender: string, key: string) =>
    `${sender} got an event object with the key "${key}": an event has only data, event (or type), id, retry and comment; to send an object with other keys, wrap it: { data: value }`,
  idAssigned: (sender: string) =>
    `${sender} assigns the id of a channel event itself (its position in the channel, which replays rely on); remove "id", or put your own identifier in data`,
  typeAndEvent: (sender: string) =>
    `${sender} got an event with both "event" and "type" (NestJS's MessageEvent name for it); give one`,
  reservedEventName: (name: string) =>
    `SSE event name ${show(name)} is in the "sse:" namespace, which the library keeps for its own events`,
  dataNotSerializable: (reason: string) => `SSE event "data" cannot be JSON-encoded: ${reason}`,

  invalidOptions: (details: string[]) =>
    `Invalid SseModule options:\n  - ${details.join('\n  - ')}`,
  optionOutOfRange: (option: string, range: string, value: unknown) =>
    `${option} must be ${range} (got ${show(value)})`,

  replayOnConnectAboveHistory: (replay: number, size: number) =>
    `replayOnConnect (${replay}) must not exceed history.size (${size})`,

  classTransformerMissing: () =>
    'SseModule option channels[].payload needs the class-transformer package: npm install class-transformer',
  maxConnectionsReached: (limit: number) =>
    `This server has reached its limit of ${limit} event streams`,
  maxConnectionsPerUserReached: (limit: number) => `You already have ${limit} open event streams`,
  shuttingDown: () => 'The server is shutting down',
  /** What a `BroadcastService` call was about, as `SseShutdownError` names it. */
  operationOn: (operation: string, target: string) =>
    operation === 'publish'
      ? `publish to "${target}"`
      : operation === 'history'
        ? `history of "${target}"`
        : `${operation}("${target}")`,
  shutdownRefused: (operation: string) => `SseModule is shutting down: ${operation} was not sent`,
  shutdownBeforeAnswer: (operation: string) =>
    `SseModule shut down before the backend answered: ${operation} may or may not have been carried out`,
  replayFailed: (connectionId: string) =>
    `SSE stream ${connectionId}: history could not be read; the client was sent a reset event`,

  adminPath: (value: unknown) => `admin.path must be a non-empty string (got ${show(value)})`,
  adminFilterInvalid: (parameter: string, expected: string, value: unknown) =>
    `Query parameter "${parameter}" must be ${expected} (got ${show(value)})`,
  adminGuards: () =>
    'admin.guards must list at least one guard: the admin routes expose user ids and remote addresses',

  handlerReturnedUnsupported: (route: string, value: unknown) =>
    `@SseChannel() handler ${route} returned ${show(value)}; return an Observable, an AsyncIterable, a Promise of one, or nothing`,
  handlerResolvedUnsupported: (route: string, value: unknown) =>
    `@SseChannel() handler ${route} returned a Promise of ${show(value)}; a Promise must resolve to an Observable, an AsyncIterable or nothing`,
  notAMethod: (key: string) => `@SseChannel() decorates methods; ${key} is not one`,
  handlerNotDecorated: (route: string) =>
    `${route} ran without the SseModule's endpoint; import SseModule.forRoot() (isGlobal) and keep @SseChannel() as its only route decorator`,
  frameWithoutId: () => 'withEventId(): the frame has no id line',
  noChannelForRequest: () => 'No SSE channel matches this request',
  backendUnavailable: (operation: string, reason: string) =>
    `The SSE backend is unavailable: ${operation} was not carried out (${reason})`,
  unknownEventId: (channel: string, reason: 'unknown-id' | 'evicted') =>
    `Event id is not in the history of channel "${channel}" (${reason === 'evicted' ? 'evicted' : 'unknown'})`,
  payloadInvalid: (channel: string, problems: readonly string[]) =>
    `Payload for channel "${channel}" is invalid: ${problems.join('; ')}`,
  backendNotAttached: (backend: string) => `${backend} used before SseModule started it`,
  internalError: () => 'Internal server error',
  optionNotAnEvent: (option: string, reason: string) => `${option} is not a valid event: ${reason}`,
  integerRange: (min: number, max: number) => `an integer from ${min} to ${max}`,
  oneOf: (values: readonly string[]) => `one of ${values.map((v) => `'${v}'`).join(', ')}`,
  notABackend: () => 'an SseBackend, e.g. new RedisBackend({ url })',
  aBoolean: () => 'true or false',
  notAMeterProvider: () =>
    'an OpenTelemetry MeterProvider (an object with getMeter()), e.g. new MeterProvider({ readers })',
  unknownOption: (path: string, owner: string) => `${path} is not ${owner} option`,
  channelPatternNotString: () => 'channels[].pattern must be a string',
  endpointMissing: () =>
    `no SseModule serves the options this controller sees: provide them with SseModule.forRoot() or forRootAsync(), not with a provider of SSE_OPTIONS of your own`,
  routeNotCompiled: (route: string) =>
    `${route} is not an @SseChannel() route known to this SseModule`,
  paramOnConstructor: (decorator: string) =>
    `${decorator} marks a parameter of an @SseChannel() method, not of a constructor`,
  paramOutsideSseChannel: (decorator: string, controller: string, method: string) =>
    `${decorator} is used on ${controller}.${method}, which is not an @SseChannel() route`,
  channelTemplateUnknownParam: (route: string, template: string, param: string) =>
    `@SseChannel() on ${route}: channel template "${template}" uses ":${param}", which the route path does not declare`,
  routeReplayInvalid: (route: string, value: unknown) =>
    `@SseChannel() on ${route}: replayOnConnect must be an integer >= 0 (got ${show(value)})`,
  channelMissing: (route: string) =>
    `@SseChannel() on ${route} has neither a path nor options.channel, so there is no channel name to join`,
  channelFinished: (channel: string) =>
    `Channel "${channel}" was finished with finish(): nothing can be published to it until finished.ttlMs has passed`,
  tooManyChannels: (count: number, max: number) =>
    `This stream would join ${count} channels; a stream may join at most ${max}`,
  channelInvalid: (channel: unknown) =>
    `Invalid SSE channel name ${show(channel)}: expected 1 to 200 characters without control characters`,
  streamFailed: (connectionId: string, channels: readonly string[]) =>
    `SSE stream ${connectionId} (channels: ${channels.join(', ') || 'none'}) failed`,
  encodeFailedForConnection: (connectionId: string, route: string) =>
    `SSE stream ${connectionId}: an event emitted by the handler ${route} could not be sent; the stream ends with sse:error`,
  contractNotAnObject: (value: unknown) =>
    `defineSseEvents() takes an object of event name -> payload class or ssePayload<T>() (got ${show(value)})`,
  contractEventName: (name: string) =>
    `defineSseEvents(): event name ${show(name)} must be a non-empty string without CR, LF or NUL, outside the "sse:" namespace the library keeps for its own events`,
  contractPayload: (name: string, value: unknown) =>
    `defineSseEvents(): the payload of "${name}" must be a class or ssePayload<T>() (got ${show(value)})`,
  notAContract: () => 'an event contract made by defineSseEvents()',
  routeEventsInvalid: (route: string, value: unknown) =>
    `@SseChannel() on ${route}: events must be an event contract made by defineSseEvents() (got ${show(value)})`,
  eventNotInContract: (target: string, event: string, names: readonly string[]) =>
    `${target}: event ${show(event)} is not in its contract, which declares ${names.map((n) => show(n)).join(', ')}`,
  channelPayloadAndEvents: (pattern: string) =>
    `SseModule option channels[] entry "${pattern}" has both payload and events; give one (events validates each event's payload by its name)`,
  contractNeedsClassTransformer: () =>
    'An event contract with a payload class needs the class-transformer package to validate payloads: npm install class-transformer',
} as const;
