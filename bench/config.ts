import type { CpuPlacement } from './orchestrator/cpu-placement.js';
import { SERVER_KINDS, type ServerKind } from './shared/protocol.js';

/** Every socket of the benchmark is on the loopback interface. */
export const HOST = '127.0.0.1';
/** The stream every server serves; for this library it is also the channel name. */
export const BENCH_PATH = '/bench';
export const BENCH_CHANNEL = 'bench';
/** A channel no bench stream is on: what an instance receives of it, it pays for in vain. */
export const ELSEWHERE_CHANNEL = 'bench-elsewhere';
/** The channels of many rooms, `spread/<room>`, each with its stream path `/spread/<room>`. */
export const SPREAD_CHANNEL = 'spread';

export const PAYLOAD_BYTES = 256;

/**
 * Frames per write of the client-capacity reference: so many that its own system calls cost
 * next to nothing per event, and the rate measured is the clients' (and the kernel's).
 */
export const CAPACITY_BLOCK_FRAMES = 1000;

/**
 * The one character of every bench event that nothing else on the wire contains: U+E000, a
 * private-use character. In UTF-8 it starts with the byte 0xEE, which starts only characters in
 * U+E000..U+EFFF, all private use; HTTP heads, chunk framing, ids, `retry:` preambles,
 * heartbeats and a library's own control events (JSON, ASCII) never contain it. The clients count
 * events by counting this byte, so they count only the bench's events, with one `memchr` per
 * event, and a count cannot be split across two reads.
 */
export const MARKER = '\uE000';
export const MARKER_BYTE = 0xee;

/**
 * The `data` of every event: 256 bytes of JSON text with the marker once, at the end of the
 * body, sent as a string by every server so none of them re-serializes it. It has no line break,
 * so every server sends it as one `data:` line.
 */
export const PAYLOAD = (() => {
  const head = '{"type":"bench","body":"';
  const tail = MARKER + '"}';
  const fill = PAYLOAD_BYTES - Buffer.byteLength(head + tail);
  const text = head + 'x'.repeat(fill) + tail;
  if (Buffer.byteLength(text) !== PAYLOAD_BYTES) throw new Error('payload is not 256 bytes');
  if (Buffer.from(text).filter((byte) => byte === MARKER_BYTE).length !== 1)
    throw new Error('the payload must hold the marker byte exactly once');
  return text;
})();

export const SERVER_LABELS: Record<ServerKind, string> = {
  library: 'nestjs-sse-channels (Express)',
  'library-fastify': 'nestjs-sse-channels (Fastify)',
  'nest-sse': 'NestJS @Sse() (Express)',
  'nest-sse-fastify': 'NestJS @Sse() (Fastify)',
  'nest-route': 'NestJS route, raw writes (Express)',
  'better-sse': 'better-sse',
  'raw-http-write': 'raw node:http (res.write)',
  'raw-http': 'raw node:http',
};

/**
 * The client-capacity reference, which is no column of the table: it measures the clients, not
 * a server (`servers/client-capacity.ts`).
 */
export const CAPACITY_NOTE =
  `node:http, every stream sent pre-built bytes (blocks of ${CAPACITY_BLOCK_FRAMES} raw ` +
  'node:http frames, ids of equal length) with res.write() as fast as its socket drains';

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
  "@SseChannel('bench') with no return value, BroadcastService.publish('bench', { data: " +
  'payload }), the calls of one tick not awaited one by one but together; ' +
  'frame "id: <boot ms>-<n>\\ndata: <payload>\\n\\n" (ids assigned by the library); other ' +
  'options at their defaults (in-memory backend, history of 100 events per channel); preamble ' +
  '"retry: 3000\\n\\n". Targeted: ids from ConnectionRegistry.list(), ' +
  'BroadcastService.sendTo(id, { data: payload }), frame "data: <payload>\\n\\n" (no id). Replay: the ' +
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
  'nest-route':
    "NestJS 12 + Express 5 (the default adapter), a plain @Get('bench') route taking @Req() " +
    "and @Res() that hands the response to raw node:http's writer below (the same frames, " +
    'written to the socket, corked per tick): the floor of any library running inside a NestJS ' +
    'Express route, since all it adds to raw node:http is the work NestJS and Express do per ' +
    'request. Targeted and replay: as raw node:http.',
  'better-sse':
    'better-sse 0.16 on node:http, one Channel, createSession({ keepAlive: null, serializer ' +
    'that passes strings through }) (the default JSON.stringify would quote the payload), ' +
    "channel.broadcast(payload, 'message', { eventId }); frame \"event:message\\nid:<boot ms>-" +
    '<n>\\ndata:<payload>\\n\\n" (always an event line, no space after colons), built per ' +
    'session; preamble "retry:2000\\n\\n". Targeted: a Map of sessions, session.push(payload), ' +
    'which writes a random UUIDv4 id when given none. Replay: hand-rolled, an array of the last ' +
    '100 events; those after session.lastId (better-sse reads Last-Event-ID) go in one ' +
    'EventBuffer sent by session.batch() before channel.register().',
  'raw-http-write':
    'node:http, a Map of responses, one Buffer "id: <boot ms>-<n>\\ndata: <payload>\\n\\n" ' +
    'built per event and written to every response with res.write(), the API node:http ' +
    'servers use (node:http writes each as a chunk in three writes, corks the socket and ' +
    'uncorks it on the next tick); no preamble, no heartbeat. Targeted: "data: <payload>\\n\\n" ' +
    'encoded per send. Replay: the last 100 frames with their ids, those after Last-Event-ID ' +
    'in one write. Redis: an ioredis pub/sub relay, as below.',
  'raw-http':
    'the practical limit: node:http, a Map of streams, one Buffer "id: <boot ms>-<n>\\ndata: ' +
    '<payload>\\n\\n" built per event, framed once as an HTTP chunk and written by hand to every ' +
    "response's socket, each socket corked on its first write of a tick and uncorked by one " +
    'process.nextTick for all (so the frames of one tick leave in one system call per socket); ' +
    'no preamble, no heartbeat, no backpressure handling. Targeted: "data: <payload>\\n\\n" ' +
    'encoded per send. Replay: the last 100 frames with their ids, those after Last-Event-ID ' +
    'in one write. Redis: ioredis pub/sub relay on both instances, A PUBLISHes the encoded ' +
    "frame with an id from its own counter, B's subscriber writes it unchanged to every stream " +
    '(the frames of one Redis read leave in one write); nothing is stored in Redis, so no ' +
    'replay on another instance, no catch-up and no order across publishers; a publish resolves ' +
    'once Redis has it.',
};

/**
 * Events published to streams that are already open, `perTick` publish calls at a time: the
 * server calls its publish API `perTick` times synchronously, awaits what those calls return,
 * yields one turn of the event loop, and goes on until `messages` events are out (the last burst
 * of a round may be smaller). Every server is driven the same way (`servers/main.ts`).
 */
export interface ThroughputParams {
  readonly connections: number;
  /** Events per measured round: with `roundMs`, the fewest. */
  readonly messages: number;
  /**
   * When set, a measured round holds as many whole ticks as fill about this long at the rate of
   * the last warm-up round, and never fewer events than `messages`. A round of one tick times
   * one burst: whether a collection falls in it moves the figure by a third. Each server gets
   * rounds of about the same length, so a slow one is not held for minutes.
   */
  readonly roundMs?: number;
  readonly perTick: number;
  /** Measured rounds; the figure is their median. */
  readonly rounds: number;
  /** Rounds run first and not counted, so the server's hot path is optimized by then. */
  readonly warmupRounds: number;
  readonly pauseMs: number;
}

/** The burst-size sweep: the same streams, rounds at each of `BURST_SIZES` publishes per tick. */
export type SweepParams = Omit<ThroughputParams, 'perTick'>;

/** Publishes per tick in the burst-size sweep. */
export const BURST_SIZES = [1, 10, 100] as const;
export type BurstSize = (typeof BURST_SIZES)[number];

/**
 * The fewest events per round at each burst size, as multiples of the sweep's `messages`: larger
 * bursts get longer rounds, so that 100 per tick is measured over 10 ticks or more rather than
 * 1, whose time would be mostly the round's start and end.
 */
export const SWEEP_ROUND_FACTOR: Record<BurstSize, number> = { 1: 1, 10: 3, 100: 10 };

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
/**
 * The Redis scenario of events for other instances: `streams` streams on instance B; instance A
 * publishes `events` events to their channel, then as many to a channel B has no stream on,
 * `perTick` per tick, `rounds` times each after `warmupRounds`.
 */
export interface ElsewhereParams {
  readonly streams: number;
  readonly events: number;
  readonly perTick: number;
  readonly rounds: number;
  readonly warmupRounds: number;
}

/** Instances sharing one Redis, each serving its own share of many rooms (one stream each). */
export interface RoomsParams {
  readonly instances: number;
  readonly rooms: number;
  /** Events published to each room per measured phase. */
  readonly perRoom: number;
  readonly perTick: number;
  readonly rounds: number;
  readonly warmupRounds: number;
}

/** Instances publishing as fast as they can to many rooms, with no stream anywhere. */
export interface PublishCapacityParams {
  readonly publishers: number;
  readonly rooms: number;
  /** Events each publisher sends to each of its rooms per round. */
  readonly perRoom: number;
  /** Publishes each publisher has in flight: one tick's worth. */
  readonly perTick: number;
  readonly rounds: number;
  readonly warmupRounds: number;
}

export interface RoundParams {
  readonly rounds: number;
  readonly warmupRounds: number;
  /** Quiet time between rounds, so one round's writes never overlap the next. */
  readonly gapMs: number;
}

/**
 * One server process holding many streams, at two points: `streams`, and the most it can hold
 * here (`StreamLimit`) or, in a quick run, `mostStreams`. At each point, in one server process:
 * the time to open them all (after a warm-up), idle memory per stream after gc(), fan-out latency
 * of one event, then deliveries/s at `throughput.perTick` publishes per tick.
 */
export interface ScaleParams {
  readonly streams: number;
  /** The second point; without it, `StreamLimit.streams`. */
  readonly mostStreams?: number;
  /** Opened, sent a few events and closed before the memory baseline and the connect clock. */
  readonly warmupConnections: number;
  readonly warmupMessages: number;
  /** Wait after the last stream opened, before measuring memory. */
  readonly settleMs: number;
  readonly latency: RoundParams;
  readonly throughput: Omit<ThroughputParams, 'connections'>;
}

/** Streams a memory projection is made for, from the two scale points. */
export const PROJECTED_STREAMS = 100_000;

/** How the clients' own capacity is measured at the start of every run (`client-capacity`). */
export interface CapacityParams {
  /** Frames written per round, in all: each stream gets its share. */
  readonly deliveries: number;
  readonly rounds: number;
  readonly warmupRounds: number;
}

/**
 * The most streams one server process holds here: each takes a descriptor, and a process may
 * open at most `openFiles` (the soft limit the run raised to the hard one); `reserved` are left
 * for everything else a server process opens (stdio, IPC, epoll, Redis connections, modules).
 */
export interface StreamLimit {
  readonly openFiles: number;
  readonly reserved: number;
  readonly streams: number;
}

/** How measured rounds keep out of spells of a slowed CPU (`orchestrator/speed-gate.ts`). */
export interface SpeedGateParams {
  /** A probe more than this many times the run's fastest finds the CPU slowed. */
  readonly tolerance: number;
  /** Probes per sample; the fastest counts. */
  readonly samples: number;
  /** The longest a round waits for a slowed CPU, and how often it probes meanwhile. */
  readonly maxWaitMs: number;
  readonly pollMs: number;
  /** The most the whole run waits; past it, rounds no longer wait. */
  readonly waitBudgetMs: number;
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
  readonly speedGate: SpeedGateParams;
  readonly capacity: CapacityParams;
  readonly sweep: SweepParams;
  readonly scale: ScaleParams;
  readonly targeted: ThroughputParams;
  readonly replay: ReplayParams;
  /** The latency part of the Redis scenario; its rounds are the sweep's, at 10 per tick. */
  readonly redis: RoundParams;
  readonly elsewhere: ElsewhereParams;
  readonly rooms: RoomsParams;
  readonly publishCapacity: PublishCapacityParams;
  /** Client processes per scenario; connections are spread evenly over them. */
  readonly clientProcesses: number;
  /** Per client process: streams still waiting for their headers at any time (SYN backlog). */
  readonly openConcurrency: number;
  /** One scenario on one server, processes included; past it the scenario fails. */
  readonly scenarioTimeoutMs: number;
  /** The whole run; past it the run stops, reports what it has and exits non-zero. */
  readonly runTimeoutMs: number;
  /** Worked out at the start of the run from the open-file limit. */
  readonly streamLimit: StreamLimit;
  /**
   * Where the processes of a scenario that isolates its server run (`cpu-placement.ts`): worked
   * out at the start of the run; undefined leaves them to the scheduler.
   */
  readonly placement: CpuPlacement | undefined;
}

/** What a run starts from; the rest is worked out on the machine (`run.ts`). */
export type ParamsTemplate = Omit<BenchParams, 'streamLimit' | 'placement'>;

/** The scale point with the most streams, resolved. */
export const mostStreams = (params: BenchParams): number =>
  params.scale.mostStreams ?? params.streamLimit.streams;

export const FULL_PARAMS: ParamsTemplate = {
  mode: 'full',
  passes: 3,
  retriesWhenBusy: 2,
  busyThreshold: 0.1,
  speedGate: {
    tolerance: 1.1,
    samples: 3,
    maxWaitMs: 30_000,
    pollMs: 500,
    waitBudgetMs: 10 * 60_000,
  },
  capacity: { deliveries: 2_000_000, rounds: 3, warmupRounds: 1 },
  sweep: {
    connections: 1000,
    messages: 100,
    roundMs: 1000,
    rounds: 3,
    warmupRounds: 1,
    pauseMs: 200,
  },
  scale: {
    streams: 10_000,
    warmupConnections: 500,
    warmupMessages: 5,
    settleMs: 1000,
    latency: { rounds: 15, warmupRounds: 2, gapMs: 30 },
    throughput: {
      messages: 10,
      roundMs: 1000,
      perTick: 10,
      rounds: 3,
      warmupRounds: 1,
      pauseMs: 200,
    },
  },
  targeted: {
    connections: 1000,
    messages: 50,
    roundMs: 1000,
    perTick: 10,
    rounds: 2,
    warmupRounds: 1,
    pauseMs: 200,
  },
  replay: { connections: 1000, missed: 50, rounds: 5, warmupRounds: 1 },
  redis: { rounds: 20, warmupRounds: 3, gapMs: 30 },
  elsewhere: { streams: 20, events: 50_000, perTick: 10, rounds: 3, warmupRounds: 1 },
  rooms: { instances: 4, rooms: 1000, perRoom: 40, perTick: 50, rounds: 3, warmupRounds: 1 },
  publishCapacity: {
    publishers: 2,
    rooms: 1000,
    perRoom: 50,
    perTick: 100,
    rounds: 3,
    warmupRounds: 1,
  },
  clientProcesses: 2,
  openConcurrency: 128,
  scenarioTimeoutMs: 240_000,
  runTimeoutMs: 90 * 60_000,
};

/** Small enough for CI: every scenario on every server in a couple of minutes. */
export const QUICK_PARAMS: ParamsTemplate = {
  mode: 'quick',
  passes: 1,
  retriesWhenBusy: 0,
  busyThreshold: 0.1,
  // Quick runs check that the gate works, not the figures: they hardly wait.
  speedGate: {
    tolerance: 1.15,
    samples: 3,
    maxWaitMs: 1_000,
    pollMs: 200,
    waitBudgetMs: 10_000,
  },
  capacity: { deliveries: 300_000, rounds: 2, warmupRounds: 1 },
  sweep: {
    connections: 200,
    messages: 100,
    roundMs: 100,
    rounds: 2,
    warmupRounds: 1,
    pauseMs: 50,
  },
  scale: {
    streams: 500,
    mostStreams: 1000,
    warmupConnections: 100,
    warmupMessages: 2,
    settleMs: 300,
    latency: { rounds: 10, warmupRounds: 2, gapMs: 10 },
    throughput: {
      messages: 10,
      roundMs: 100,
      perTick: 10,
      rounds: 2,
      warmupRounds: 1,
      pauseMs: 50,
    },
  },
  targeted: {
    connections: 200,
    messages: 20,
    roundMs: 100,
    perTick: 10,
    rounds: 2,
    warmupRounds: 1,
    pauseMs: 50,
  },
  replay: { connections: 200, missed: 20, rounds: 2, warmupRounds: 1 },
  redis: { rounds: 5, warmupRounds: 1, gapMs: 10 },
  elsewhere: { streams: 20, events: 2_000, perTick: 10, rounds: 1, warmupRounds: 1 },
  rooms: { instances: 4, rooms: 200, perRoom: 5, perTick: 50, rounds: 1, warmupRounds: 1 },
  publishCapacity: {
    publishers: 2,
    rooms: 200,
    perRoom: 10,
    perTick: 100,
    rounds: 1,
    warmupRounds: 1,
  },
  clientProcesses: 2,
  openConcurrency: 64,
  scenarioTimeoutMs: 60_000,
  runTimeoutMs: 300_000,
};
