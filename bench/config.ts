import { SERVER_KINDS, type ServerKind } from './shared/protocol.js';

/** Every socket of the benchmark is on the loopback interface. */
export const HOST = '127.0.0.1';
/** The stream every server serves; for this library it is also the channel name. */
export const BENCH_PATH = '/bench';
export const BENCH_CHANNEL = 'bench';

export const PAYLOAD_BYTES = 256;

/**
 * The `data` of every event: 256 bytes of ASCII JSON text, sent as a string by every server so
 * none of them re-serializes it. It has no line break and no `data:`, which lets the clients
 * count frames by scanning for the blank line that ends each one.
 */
export const PAYLOAD = (() => {
  const head = '{"type":"bench","body":"';
  const tail = '"}';
  const text = head + 'x'.repeat(PAYLOAD_BYTES - head.length - tail.length) + tail;
  if (Buffer.byteLength(text) !== PAYLOAD_BYTES) throw new Error('payload is not 256 bytes');
  return text;
})();

export const SERVER_LABELS: Record<ServerKind, string> = {
  library: 'nestjs-sse-channels (Express)',
  'library-fastify': 'nestjs-sse-channels (Fastify)',
  'nest-sse': 'NestJS @Sse() (Express)',
  'nest-sse-fastify': 'NestJS @Sse() (Fastify)',
  'better-sse': 'better-sse',
  'raw-http': 'raw node:http',
};

/** The order of the table's columns (that of the kinds); ratios are to the last one. */
export const SERVER_ORDER: readonly ServerKind[] = SERVER_KINDS;
export const BASELINE: ServerKind = 'raw-http';

/** The servers running this library; each is judged against the targets on its own. */
export const LIBRARY_KINDS = ['library', 'library-fastify'] as const;
export type LibraryKind = (typeof LIBRARY_KINDS)[number];

/** NestJS @Sse() on the adapter each library server runs on: the like-for-like rival. */
export const SAME_ADAPTER_NEST_SSE: Record<LibraryKind, ServerKind> = {
  library: 'nest-sse',
  'library-fastify': 'nest-sse-fastify',
};

/** The adapter of each library server, as the table's result columns name it. */
export const LIBRARY_ADAPTERS: Record<LibraryKind, string> = {
  library: 'Express',
  'library-fastify': 'Fastify',
};

const LIBRARY_NOTE =
  'SseModule.forRoot({ heartbeatIntervalMs: 3600000 }) (the largest allowed), ' +
  "@SseChannel('bench') with no return value, BroadcastService.publish('bench', payload); " +
  'frame "id: <boot ms>-<n>\\ndata: <payload>\\n\\n" (ids assigned by the library); other ' +
  'options at their defaults (in-memory backend, history of 100 events per channel); preamble ' +
  '"retry: 3000\\n\\n". Targeted: ids from ConnectionRegistry.list(), ' +
  'BroadcastService.sendTo(id, payload), frame "data: <payload>\\n\\n" (no id). Replay: the ' +
  "library's history. Redis: the same app with backend: new RedisBackend({ url }); a publish " +
  "is one EVALSHA (INCR of the global sequence, XADD MAXLEN 100 to the channel's stream, " +
  'PEXPIRE, PUBLISH to the bus), ids are Redis stream ids, every instance delivers from the ' +
  'bus, and the publish resolves with its delivery count once its own event is back.';

const NEST_SSE_NOTE =
  "@Sse('bench') returning an Observable that subscribes each connection to one shared " +
  'Subject; Subject.next({ id, data: payload }); frame "id: <boot ms>-<n>\\ndata: ' +
  '<payload>\\n\\n", encoded per connection by Nest; preamble a lone "\\n"; no heartbeat ' +
  '(Nest only probes sockets Node has paused, every 5 s). Targeted: a Subject per connection ' +
  'in a Map, next({ data: payload }). Replay: hand-rolled, an array of the last 100 events; ' +
  "the Observable emits those after @Headers('last-event-id') before it subscribes to the " +
  'Subjects.';

/** Fastify as Nest's FastifyAdapter sets it up, with none of its options changed. */
const FASTIFY_NOTE = 'NestJS 12 + Fastify 5 (new FastifyAdapter(), default options), ';

/**
 * What each server sends, where they cannot all be the same. Printed with every run so a reader
 * knows what the figures compare.
 */
export const SERVER_NOTES: Record<ServerKind, string> = {
  library: 'NestJS 12 + Express 5 (the default adapter), ' + LIBRARY_NOTE,
  'library-fastify': FASTIFY_NOTE + 'the same app: ' + LIBRARY_NOTE,
  'nest-sse': 'NestJS 12 + Express 5 (the default adapter), ' + NEST_SSE_NOTE,
  'nest-sse-fastify': FASTIFY_NOTE + 'the same app: ' + NEST_SSE_NOTE,
  'better-sse':
    'better-sse 0.16 on node:http, one Channel, createSession({ keepAlive: null, serializer ' +
    'that passes strings through }) (the default JSON.stringify would quote the payload), ' +
    "channel.broadcast(payload, 'message', { eventId }); frame \"event:message\\nid:<boot ms>-" +
    '<n>\\ndata:<payload>\\n\\n" (always an event line, no space after colons), built per ' +
    'session; preamble "retry:2000\\n\\n". Targeted: a Map of sessions, session.push(payload), ' +
    'which writes a random UUIDv4 id when given none. Replay: hand-rolled, an array of the last ' +
    '100 events; those after session.lastId (better-sse reads Last-Event-ID) go in one ' +
    'EventBuffer sent by session.batch() before channel.register().',
  'raw-http':
    'node:http, a Map of responses, one Buffer "id: <boot ms>-<n>\\ndata: <payload>\\n\\n" ' +
    'built per event and written to every response; no preamble, no heartbeat. Targeted: ' +
    '"data: <payload>\\n\\n" encoded per send. Replay: the last 100 frames with their ids, ' +
    'those after Last-Event-ID in one write. Redis: ioredis pub/sub relay on both instances, A ' +
    "PUBLISHes the encoded frame with an id from its own counter, B's subscriber writes it " +
    'unchanged to every response (Node corks a response until the next tick, so the frames of ' +
    'one Redis read leave in one write); nothing is stored in Redis, so no replay on another ' +
    'instance, no catch-up and no order across publishers; a publish resolves once Redis has it.',
};

export interface ThroughputParams {
  readonly connections: number;
  readonly messages: number;
  /** Measured bursts; the figure is their median. */
  readonly bursts: number;
  /** Bursts run first and not counted, so the server's hot path is optimized by then. */
  readonly warmupBursts: number;
  readonly pauseMs: number;
}

export interface ReplayParams {
  readonly connections: number;
  /**
   * Events published while the clients are away, all of which each must get back. Below 100:
   * the event the clients resume after must still be in a history of 100 (the library's
   * default, and the references' bound).
   */
  readonly missed: number;
  readonly rounds: number;
  readonly warmupRounds: number;
}

/** Rounds of one event each: how latency is measured. */
export interface RoundParams {
  readonly rounds: number;
  readonly warmupRounds: number;
  /** Quiet time between rounds, so one round's writes never overlap the next. */
  readonly gapMs: number;
}

export interface LatencyParams extends RoundParams {
  readonly connections: number;
}

export interface MemoryParams {
  readonly connections: number;
  /** Opened, sent a few events and closed before the baseline is taken. */
  readonly warmupConnections: number;
  readonly warmupMessages: number;
  /** Wait after the last stream opened, before measuring. */
  readonly settleMs: number;
}

export interface ConnectParams {
  readonly connections: number;
  /** Opened and closed first, so the accept path is optimized when the clock runs. */
  readonly warmupConnections: number;
}

export interface BenchParams {
  readonly mode: 'full' | 'quick';
  /**
   * Times every scenario runs on every implementation, in a rotated order each pass; a figure is
   * the median over passes, so a burst of other load on the machine moves it less.
   */
  readonly passes: number;
  /**
   * A run during which other processes used more than `busyThreshold` of the machine's CPU is
   * run again, up to this many times, and the least disturbed attempt counts. Failed runs are
   * never retried: a failure is reported.
   */
  readonly retriesWhenBusy: number;
  readonly busyThreshold: number;
  /** Fan-out throughput; targeted sends and the Redis scenario run the same bursts. */
  readonly throughput: ThroughputParams;
  readonly latency: LatencyParams;
  readonly memory: MemoryParams;
  readonly connect: ConnectParams;
  readonly replay: ReplayParams;
  /** The latency part of the Redis scenario; its bursts are those of `throughput`. */
  readonly redis: RoundParams;
  /** Client processes per scenario; connections are spread evenly over them. */
  readonly clientProcesses: number;
  /** Per client process: streams still waiting for their headers at any time (SYN backlog). */
  readonly openConcurrency: number;
  /** One scenario on one server, processes included; past it the scenario fails. */
  readonly scenarioTimeoutMs: number;
  /** The whole run; past it the run stops, reports what it has and exits non-zero. */
  readonly runTimeoutMs: number;
}

export const FULL_PARAMS: BenchParams = {
  mode: 'full',
  passes: 5,
  retriesWhenBusy: 2,
  busyThreshold: 0.1,
  throughput: { connections: 1000, messages: 100, bursts: 5, warmupBursts: 1, pauseMs: 200 },
  latency: { connections: 5000, rounds: 50, warmupRounds: 5, gapMs: 30 },
  memory: { connections: 5000, warmupConnections: 200, warmupMessages: 5, settleMs: 1000 },
  connect: { connections: 5000, warmupConnections: 500 },
  replay: { connections: 1000, missed: 50, rounds: 5, warmupRounds: 1 },
  redis: { rounds: 20, warmupRounds: 3, gapMs: 30 },
  clientProcesses: 2,
  openConcurrency: 128,
  scenarioTimeoutMs: 180_000,
  runTimeoutMs: 60 * 60_000,
};

/** Small enough for CI: every scenario on every server, in well under a minute. */
export const QUICK_PARAMS: BenchParams = {
  mode: 'quick',
  passes: 1,
  retriesWhenBusy: 0,
  busyThreshold: 0.1,
  throughput: { connections: 200, messages: 50, bursts: 3, warmupBursts: 1, pauseMs: 50 },
  latency: { connections: 500, rounds: 15, warmupRounds: 3, gapMs: 10 },
  memory: { connections: 1000, warmupConnections: 100, warmupMessages: 2, settleMs: 300 },
  connect: { connections: 1000, warmupConnections: 100 },
  replay: { connections: 200, missed: 20, rounds: 2, warmupRounds: 1 },
  redis: { rounds: 5, warmupRounds: 1, gapMs: 10 },
  clientProcesses: 2,
  openConcurrency: 64,
  scenarioTimeoutMs: 30_000,
  runTimeoutMs: 240_000,
};
