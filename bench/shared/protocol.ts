/**
 * What the orchestrator and its child processes say to each other over the IPC channel of
 * `child_process.fork()`. Every operation is one request and one reply: `orchestrator/worker.ts`
 * sends them and `shared/child.ts` answers them.
 */

/**
 * This library and NestJS @Sse() run on both of Nest's HTTP adapters (`library`, `nest-sse`:
 * Express, the default; `-fastify`: Fastify), so each is compared with the other on the same one.
 */
export const SERVER_KINDS = [
  'library',
  'library-fastify',
  'nest-sse',
  'nest-sse-fastify',
  'nest-route',
  'better-sse',
  'raw-http-write',
  'raw-http',
] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

/**
 * How to start one server process. A scenario may start several (each gets its own spec), which
 * is how deployments of more than one instance fit in without changing the processes.
 */
export interface ServerSpec {
  readonly kind: ServerKind;
  /**
   * With a Redis URL the server is one instance of several sharing that Redis: events published
   * on any instance reach the streams of all of them.
   */
  readonly redisUrl?: string;
  /** With the nodes of a Redis Cluster instead, the instances share that cluster. */
  readonly redisCluster?: readonly string[];
}

/** Given to every child as its only argument, JSON-encoded. */
export interface ChildInit<TSpec = undefined> {
  /** The child exits by itself after this long, whatever the orchestrator does. */
  readonly lifetimeMs: number;
  readonly spec: TSpec;
}

export interface MemorySample {
  readonly rss: number;
  /** The V8 heap the process has reserved, used or not: part of its RSS. */
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  /** Descriptors the process has open (`/proc/self/fd`); NaN where that cannot be read. */
  readonly openFiles: number;
}

/** Operation name -> argument and result types. */
export type OpsShape<T> = { [K in keyof T]: { args: unknown; result: unknown } };

/** `count` events in bursts of `perTick` calls, one burst per turn of the event loop. */
export interface BurstArgs {
  readonly count: number;
  readonly perTick: number;
}

/**
 * Rooms `first`, `first + step`, ... (`count` of them): their channels `spread/<room>` (see
 * `SPREAD_CHANNEL`), and their streams' paths `/spread/<room>`.
 */
export interface Rooms {
  readonly first: number;
  readonly step: number;
  readonly count: number;
}

/** `perRoom` events to each of `rooms`, round after round over the rooms, `perTick` per tick. */
export interface RoomsBurstArgs {
  readonly rooms: Rooms;
  readonly perRoom: number;
  readonly perTick: number;
  /** Sends some rooms' events elsewhere (see `Divert`). */
  readonly divert?: Divert;
}

/**
 * Sends the events of some rooms to the room `offset` higher, which no stream is on: those of
 * the rooms `instance` serves ('own'), or of all the others ('others'), rooms being dealt out
 * round-robin over `instances`. The publishes, their pace and Redis's work stay the same.
 */
export interface Divert {
  readonly rooms: 'own' | 'others';
  readonly instance: number;
  readonly instances: number;
  readonly offset: number;
}

export interface ServerOps {
  /** Publishes `count` events to every stream, `perTick` publish calls per tick. */
  publish: { args: BurstArgs; result: PublishTimes };
  /** The same to a channel no stream is on (`ELSEWHERE_CHANNEL`); instances of Redis only. */
  publishElsewhere: { args: BurstArgs; result: PublishTimes };
  /** Publishes to the channels of `rooms` (see `RoomsBurstArgs`); this library only. */
  publishRooms: { args: RoomsBurstArgs; result: PublishTimes };
  /**
   * Sends `count` events to every open stream one by one, each through the implementation's
   * API for a single connection, `perTick` rounds of sends per tick.
   */
  sendToEach: { args: BurstArgs; result: PublishTimes };
  /** Connections currently subscribed, as the server itself counts them. */
  subscribers: { args: null; result: number };
  /** Memory after two full garbage collections (the process runs with `--expose-gc`). */
  memory: { args: null; result: MemorySample };
  /** The time of a fixed piece of work on the server's CPU (`shared/cpu-probe.ts`), in ms. */
  probe: { args: null; result: number };
}

/** The client-capacity reference (`servers/client-capacity.ts`). */
export interface CapacityOps {
  /**
   * Writes `count` pre-built frames to every open stream as fast as its socket drains; resolves
   * once all are handed to the kernel, with the time the first write started.
   */
  flood: { args: { count: number }; result: { startedAt: number } };
  subscribers: { args: null; result: number };
}

export interface PublishTimes {
  /** Just before the first event was handed to the server's publish API. */
  readonly firstAt: number;
  /** Just after the last publish call returned. */
  readonly lastAt: number;
  /**
   * When the server's event loop came back to it one turn after the last burst: by then every
   * write of the burst has been made (node:http's uncork runs on the next tick, a write made
   * from a promise's continuation or a setImmediate queued by the publish call runs before).
   */
  readonly settledAt: number;
  /** The id of the last event published; none for targeted sends. */
  readonly lastId: string | undefined;
}

export interface ServerReady {
  readonly port: number;
}

export interface ClientOps {
  /** Opens `count` streams, at most `concurrency` still waiting for headers at any time. */
  open: { args: OpenArgs; result: OpenResult };
  /**
   * Resolves once every open stream has received `target` bench events in total, with the time
   * of the read that brought each stream's `target`-th event. Fails if a stream received more
   * (the orchestrator publishes only after asking, so more means a miscount) or closed.
   */
  collect: { args: { target: number }; result: CollectResult };
  /** Closes every stream; resolves with how many were open. */
  close: { args: null; result: number };
}

export interface OpenArgs {
  readonly port: number;
  readonly path: string;
  readonly count: number;
  readonly concurrency: number;
  /** Sent as the `Last-Event-ID` header: the streams resume after this event. */
  readonly lastEventId?: string;
  /** Stream `j` opens `<path>/<room j>` instead of `path`: one stream per room. */
  readonly rooms?: Rooms;
}

export interface OpenResult {
  /** When the first connection attempt started. */
  readonly startedAt: number;
  /** When the last stream's response headers were complete. */
  readonly headersAt: number;
}

export interface CollectResult {
  /** Per stream, when its `target`-th event arrived. */
  readonly times: Float64Array;
  /** Body bytes received by all streams so far, HTTP chunk framing included. */
  readonly bodyBytes: number;
}

/** Parent -> child. `clock` asks for the child's `now()`, for the clock-agreement check. */
export type ParentMessage =
  | { readonly type: 'call'; readonly id: number; readonly op: string; readonly args: unknown }
  | { readonly type: 'clock'; readonly id: number }
  | { readonly type: 'exit' };

/** Child -> parent. */
export type ChildMessage =
  | { readonly type: 'ready'; readonly info: unknown }
  | { readonly type: 'clock'; readonly id: number; readonly at: number }
  | { readonly type: 'reply'; readonly id: number; readonly result: unknown }
  | { readonly type: 'fail'; readonly id: number; readonly message: string };
