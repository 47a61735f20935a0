import { Redis } from 'ioredis';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import { BENCH_CHANNEL, BENCH_PATH, HOST, PAYLOAD } from '../config.js';
import type { ServerSpec } from '../shared/protocol.js';
import {
  EventHistory,
  idSequence,
  lastEventIdHeader,
  listeningPort,
  type BenchServer,
} from './bench-server.js';

const HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

/** A targeted event carries no id, like this library's: it must not move the client's replay. */
const TARGETED_FRAME_TEXT = `data: ${PAYLOAD}\n\n`;

/**
 * The practical limit: node:http with nothing in between. Each event is encoded once into a
 * Buffer and that Buffer is written to every response; the last frames are kept, with their
 * ids, for clients that come back with `Last-Event-ID`.
 *
 * With a Redis URL it is one instance of several: a publish goes to a Redis channel as the
 * encoded frame, and every instance relays what arrives there to its own responses.
 */
export async function createRawHttpServer(spec: ServerSpec): Promise<BenchServer> {
  const responses = new Map<string, ServerResponse>();
  const history = new EventHistory<{ readonly id: string; readonly frame: Buffer }>();
  const nextId = idSequence();
  let nextConnection = 0;
  const broadcast = (frame: Buffer): void => {
    for (const response of responses.values()) response.write(frame);
  };
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== BENCH_PATH) {
      response.writeHead(404).end();
      return;
    }
    request.socket.setNoDelay(true);
    response.writeHead(200, HEADERS);
    const missed = history.after(lastEventIdHeader(request.headers['last-event-id']));
    // One write for the whole replay: the client gets it in as few packets as it fits.
    if (missed.length > 0) response.write(Buffer.concat(missed.map((event) => event.frame)));
    else response.flushHeaders();
    const id = String(++nextConnection);
    responses.set(id, response);
    response.once('close', () => responses.delete(id));
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  const relay =
    spec.redisUrl === undefined ? undefined : await redisRelay(spec.redisUrl, broadcast);
  return {
    port: listeningPort(server.address()),
    publish() {
      const id = nextId();
      const frame = Buffer.from(`id: ${id}\ndata: ${PAYLOAD}\n\n`);
      if (relay) return relay.publish(BENCH_CHANNEL, frame).then(() => id);
      history.add({ id, frame });
      broadcast(frame);
      return id;
    },
    connectionIds: () => [...responses.keys()],
    sendToEach(ids) {
      for (const id of ids) responses.get(id)?.write(Buffer.from(TARGETED_FRAME_TEXT));
    },
    subscribers: () => responses.size,
  };
}

/**
 * Two connections, as pub/sub requires: one subscribed to the channel (frames arrive as
 * Buffers and are written on unchanged), one to publish. Resolves once the subscription is live.
 */
async function redisRelay(url: string, deliver: (frame: Buffer) => void): Promise<Redis> {
  const subscriber = new Redis(url);
  subscriber.on('messageBuffer', (_channel: Buffer, frame: Buffer) => deliver(frame));
  await subscriber.subscribe(BENCH_CHANNEL);
  return new Redis(url);
}
