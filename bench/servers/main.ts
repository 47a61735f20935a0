import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { now } from '../shared/clock.js';
import { announceReady, readInit, serveParent } from '../shared/child.js';
import type {
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
  'better-sse': async () => (await import('./better-sse.server.js')).createBetterSseServer,
  'raw-http': async () => (await import('./raw-http.server.js')).createRawHttpServer,
};

/**
 * Runs `send` `count` times. Between two calls the event loop gets a turn, as it would between
 * two messages arriving from elsewhere in a real application; the writes of one call are all
 * issued before the next starts. Promises the calls return are awaited after the last call.
 */
async function burst<T>(
  count: number,
  send: () => T | Promise<T>,
): Promise<{ readonly firstAt: number; readonly lastAt: number; readonly last: T | undefined }> {
  const pending: Promise<T>[] = [];
  let last: T | Promise<T> | undefined;
  const firstAt = now();
  for (let i = 0; i < count; i++) {
    if (i > 0) await nextLoopTurn();
    last = send();
    if (last instanceof Promise) pending.push(last);
  }
  const lastAt = now();
  await Promise.all(pending);
  return { firstAt, lastAt, last: await last };
}

async function publishBurst(server: BenchServer, count: number): Promise<PublishTimes> {
  const { firstAt, lastAt, last } = await burst(count, () => server.publish());
  return { firstAt, lastAt, lastId: last };
}

/** The ids are read once per burst, before the clock starts, as an application keeps them. */
async function sendBurst(server: BenchServer, count: number): Promise<PublishTimes> {
  const ids = server.connectionIds();
  const { firstAt, lastAt } = await burst(count, () => server.sendToEach(ids));
  return { firstAt, lastAt, lastId: undefined };
}

async function sampleMemory(): Promise<MemorySample> {
  const gc = globalThis.gc;
  if (!gc) throw new Error('the server process must run with --expose-gc');
  // Twice, with a turn in between, so objects freed by finalizers are collected as well.
  for (let i = 0; i < 2; i++) {
    gc();
    await nextLoopTurn();
  }
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

const init = readInit<ServerSpec>();
const server = await (await FACTORIES[init.spec.kind]())(init.spec);
serveParent<ServerOps>(
  {
    publish: ({ count }) => publishBurst(server, count),
    sendToEach: ({ count }) => sendBurst(server, count),
    subscribers: () => server.subscribers(),
    memory: () => sampleMemory(),
  },
  init.lifetimeMs,
);
announceReady({ port: server.port } satisfies ServerReady);
