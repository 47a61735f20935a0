import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { openFiles } from '../shared/open-files.js';
import { now } from '../shared/clock.js';
import { announceReady, readInit, serveParent } from '../shared/child.js';
import { cpuProbe } from '../shared/cpu-probe.js';
import { SPREAD_CHANNEL } from '../config.js';
import type {
  BurstArgs,
  RoomsBurstArgs,
  MemorySample,
  PublishTimes,
  ServerKind,
  ServerOps,
  ServerReady,
  ServerSpec,
} from '../shared/protocol.js';
import type { BenchServer, BenchServerFactory } from './bench-server.js';

// Imported on demand, so a process loads only the implementation it runs (NestJS is not in the
// raw and better-sse processes' memory figures, Fastify in no Express process's).
const FACTORIES: Record<ServerKind, () => Promise<BenchServerFactory>> = {
  library: async () => {
    const { createLibraryServer } = await import('./library.server.js');
    return (spec) => createLibraryServer(spec, 'express');
  },
  'library-fastify': async () => {
    const { createLibraryServer } = await import('./library.server.js');
    return (spec) => createLibraryServer(spec, 'fastify');
  },
  'nest-sse': async () => {
    const { createNestSseServer } = await import('./nest-sse.server.js');
    return (spec) => createNestSseServer(spec, 'express');
  },
  'nest-sse-fastify': async () => {
    const { createNestSseServer } = await import('./nest-sse.server.js');
    return (spec) => createNestSseServer(spec, 'fastify');
  },
  'nest-route': async () => (await import('./nest-route.server.js')).createNestRouteServer,
  'better-sse': async () => (await import('./better-sse.server.js')).createBetterSseServer,
  'raw-http': async () => {
    const { createRawHttpServer } = await import('./raw-http.server.js');
    return (spec) => createRawHttpServer(spec, 'socket');
  },
  'raw-http-write': async () => {
    const { createRawHttpServer } = await import('./raw-http.server.js');
    return (spec) => createRawHttpServer(spec, 'response');
  },
};

/**
 * Runs `send` `count` times, in bursts of `perTick` calls: the calls of a burst are made
 * synchronously, one after the other, as an application publishing several events from one
 * callback does; what they return is awaited together, after the burst; then the event loop gets
 * one turn (I/O, timers) before the next burst, as it would between two messages arriving from
 * elsewhere, and after the last one (`settledAt`). Every server is driven this way, so a burst of
 * 10 is 10 calls in one tick for all.
 */
async function burst<T>(
  { count, perTick }: BurstArgs,
  send: () => T | Promise<T>,
): Promise<{ readonly times: Omit<PublishTimes, 'lastId'>; readonly last: T | undefined }> {
  if (!Number.isInteger(perTick) || perTick < 1)
    throw new Error(`perTick must be >= 1: ${perTick}`);
  let last: T | undefined;
  const firstAt = now();
  let lastAt = firstAt;
  for (let sent = 0; sent < count;) {
    const calls: (T | Promise<T>)[] = [];
    for (const end = Math.min(count, sent + perTick); sent < end; sent++) calls.push(send());
    lastAt = now();
    last = (await Promise.all(calls)).at(-1);
    await nextLoopTurn();
  }
  return { times: { firstAt, lastAt, settledAt: now() }, last };
}

async function publishBurst(server: BenchServer, args: BurstArgs): Promise<PublishTimes> {
  const { times, last } = await burst(args, () => server.publish());
  return { ...times, lastId: last };
}

async function publishElsewhereBurst(server: BenchServer, args: BurstArgs): Promise<PublishTimes> {
  const elsewhere = server.publishElsewhere?.bind(server);
  if (!elsewhere) throw new Error('this server has no instances to publish elsewhere to');
  const { times, last } = await burst(args, elsewhere);
  return { ...times, lastId: last };
}

/** Event `i` goes to room `i mod rooms`: round after round over the rooms. */
async function publishRoomsBurst(
  server: BenchServer,
  { rooms, perRoom, perTick, divert }: RoomsBurstArgs,
): Promise<PublishTimes> {
  const publishTo = server.publishTo?.bind(server);
  if (!publishTo) throw new Error('this server does not publish to rooms');
  const diverted = (room: number) =>
    divert !== undefined &&
    (room % divert.instances === divert.instance) === (divert.rooms === 'own');
  const channelOf = (room: number) => (diverted(room) ? room + (divert?.offset ?? 0) : room);
  const channels = Array.from(
    { length: rooms.count },
    (_, i) => `${SPREAD_CHANNEL}/${channelOf(rooms.first + rooms.step * i)}`,
  );
  let sent = 0;
  const { times, last } = await burst({ count: perRoom * rooms.count, perTick }, () =>
    publishTo(channels[sent++ % channels.length] as string),
  );
  return { ...times, lastId: last };
}

/** The ids are read once per call, before the clock starts, as an application keeps them. */
async function sendBurst(server: BenchServer, args: BurstArgs): Promise<PublishTimes> {
  const ids = server.connectionIds();
  const { times } = await burst(args, () => server.sendToEach(ids));
  return { ...times, lastId: undefined };
}

async function sampleMemory(): Promise<MemorySample> {
  const gc = globalThis.gc;
  if (!gc) throw new Error('the server process must run with --expose-gc');
  // Twice, with a turn in between, so objects freed by finalizers are collected as well.
  for (let i = 0; i < 2; i++) {
    gc();
    await nextLoopTurn();
  }
  const { rss, heapTotal, heapUsed, external } = process.memoryUsage();
  return { rss, heapTotal, heapUsed, external, openFiles: openFiles() };
}

const init = readInit<ServerSpec>();
const server = await (await FACTORIES[init.spec.kind]())(init.spec);
serveParent<ServerOps>(
  {
    publish: (args) => publishBurst(server, args),
    publishElsewhere: (args) => publishElsewhereBurst(server, args),
    publishRooms: (args) => publishRoomsBurst(server, args),
    sendToEach: (args) => sendBurst(server, args),
    subscribers: () => server.subscribers(),
    memory: () => sampleMemory(),
    probe: () => cpuProbe(),
  },
  init.lifetimeMs,
);
announceReady({ port: server.port } satisfies ServerReady);
