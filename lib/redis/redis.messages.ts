/** The texts `RedisBackend` logs and throws, as `sse.messages.ts` holds the module's. */
export const RedisMessages = {
  invalidOptions: (details: string[]) =>
    `Invalid RedisBackend options:\n  - ${details.join('\n  - ')}`,
  unreachable: (where: string, reason: string) =>
    `RedisBackend could not connect to ${where}: ${reason}`,
  noAnswer: (timeoutMs: number) =>
    `no answer within connectTimeoutMs (${timeoutMs} ms) of connecting`,
  lost: (reason: string) =>
    `Redis connection lost (${reason}); publishes fail until it returns, local streams stay open`,
  restored: () => 'Redis connection restored; subscriptions renewed',
  unavailable: (
    commands: string,
    subscriber: string,
    subscribed: boolean,
    lastError: string | undefined,
  ) =>
    `Redis unavailable: command connection ${commands}, subscriber ${subscriber}${subscriber === 'ready' && !subscribed ? ' (subscription not confirmed yet)' : ''}${lastError === undefined ? '' : `; last error: ${lastError}`}`,
  detached: () => 'RedisBackend is not connected: SseModule has not started it, or has closed it',
  catchUpFailed: (reason: string) =>
    `Redis catch-up after a lost subscription failed (${reason}); clients resume with Last-Event-ID when they reconnect`,
  catchUpOverflow: (maxBytes: number) =>
    `Redis catch-up after a lost subscription: more than catchUpBufferBytes (${maxBytes}) of messages arrived meanwhile; the local streams of the channels concerned end, and their clients replay with Last-Event-ID when they reconnect`,
  catchUpEvicted: (channel: string) =>
    `Redis catch-up after a lost subscription: the history of "${channel}" no longer holds every event its local streams missed (or they had not learnt where the channel was yet); they end, and their clients replay or get a reset event when they reconnect`,
  catchUpEnded: (streams: number, channels: number) =>
    `Redis catch-up after a lost subscription ended ${streams} local stream(s) on ${channels} channel(s) that could not be caught up`,
  badMessage: (reason: string) => `Ignored a malformed message from the Redis bus: ${reason}`,
  noHeaderEnd: () => 'no newline ends its header',
  noMaster: (shardChannel: string) =>
    `no master of the Redis Cluster serves the slot of ${shardChannel} (the cluster is changing or down)`,
  masterDown: (master: string) =>
    `the connection to the Redis Cluster master ${master} is down: the subscription is confirmed once it is back or another master owns its slot`,
  subscriberDown: () =>
    'the Redis subscriber is not connected: the subscription is confirmed once it is back',
  unknownMessageKind: (kind: string) =>
    `unknown message kind "${kind}" (an instance of another version of the library?)`,
  replayOperation: () => 'history replay',
  clusterOperation: (what: 'stats' | 'list' | 'query') => `cluster ${what}`,
  keyPrefix: () => 'keyPrefix must be a string',
  keyPrefixBraces: () =>
    'keyPrefix must not contain { or }: the hash tag of each key (its channel) comes after it',
  url: () => 'url must be a string like redis://host:6379',
  urlWithCluster: () =>
    'url must not be set with cluster: a cluster is reached through cluster.nodes',
  cluster: () => "cluster must be an object like { nodes: ['redis://host:6379'] }",
  clusterNodes: () => 'cluster.nodes must be a non-empty array of node URLs like redis://host:6379',
  clusterOptions: () => 'cluster.options must be an object of ioredis Cluster options',
  tls: () => 'tls must be true or an object of tls.connect() options',
  redis: () => 'redis must be an object of ioredis options',
};
