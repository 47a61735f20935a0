import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import { BENCH_PATH, CAPACITY_BLOCK_FRAMES as BLOCK_FRAMES, HOST, PAYLOAD } from '../config.js';
import { now } from '../shared/clock.js';
import { announceReady, readInit, serveParent } from '../shared/child.js';
import type { CapacityOps, ServerReady } from '../shared/protocol.js';
import { listeningPort } from './bench-server.js';

/**
 * The client-capacity reference: what the clients can take, not what a server can give. Every
 * stream gets pre-built bytes, raw node:http's frames `BLOCK_FRAMES` to a write, as fast as its socket
 * drains, so the server does next to no work per event and the rate the clients reach is theirs
 * (and the kernel's). The ids are all of one length, so any number of frames is a prefix of the
 * block.
 */
const epoch = Date.now();
const FRAME_BYTES = Buffer.byteLength(`id: ${epoch}-1000\ndata: ${PAYLOAD}\n\n`);
const BLOCK = Buffer.from(
  Array.from(
    { length: BLOCK_FRAMES },
    (_, i) => `id: ${epoch}-${1000 + i}\ndata: ${PAYLOAD}\n\n`,
  ).join(''),
);
if (BLOCK.length !== BLOCK_FRAMES * FRAME_BYTES) throw new Error('capacity frames differ in size');

const responses = new Set<ServerResponse>();
const server = createServer((request, response) => {
  if (request.method !== 'GET' || request.url !== BENCH_PATH) {
    response.writeHead(404).end();
    return;
  }
  request.socket.setNoDelay(true);
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.flushHeaders();
  responses.add(response);
  response.once('close', () => responses.delete(response));
});

/** Writes `count` frames to `response`, waiting for 'drain' whenever the socket is full. */
async function fill(response: ServerResponse, count: number): Promise<void> {
  for (let left = count; left > 0; left -= BLOCK_FRAMES) {
    const frames = Math.min(left, BLOCK_FRAMES);
    const bytes = frames === BLOCK_FRAMES ? BLOCK : BLOCK.subarray(0, frames * FRAME_BYTES);
    if (!response.write(bytes)) await once(response, 'drain');
  }
}

async function flood(count: number): Promise<{ startedAt: number }> {
  const startedAt = now();
  await Promise.all([...responses].map((response) => fill(response, count)));
  return { startedAt };
}

const init = readInit<undefined>();
server.listen(0, HOST);
await once(server, 'listening');
serveParent<CapacityOps>(
  {
    flood: ({ count }) => flood(count),
    subscribers: () => responses.size,
  },
  init.lifetimeMs,
);
announceReady({ port: listeningPort(server.address()) } satisfies ServerReady);
