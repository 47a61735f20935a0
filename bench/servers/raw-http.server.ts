import { Redis } from 'ioredis';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { BENCH_CHANNEL, BENCH_PATH, ELSEWHERE_CHANNEL, HOST, PAYLOAD } from '../config.js';
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
 * How the frames reach the clients: with `res.write()`, the API every node:http server uses
 * (node:http frames each write as a chunk of the response, in three writes, and uncorks the
 * socket on the next tick); or written by hand to the response's socket, each frame framed once
 * as a chunk for all of them, every socket corked on its first write of a tick and uncorked by
 * one `process.nextTick` for all: the least work node:http allows, the practical limit.
 */
export type RawWriter = 'socket' | 'response';

/** One stream as the server writes it. */
interface RawStream {
  write(chunk: Buffer): void;
}

/**
 * node:http with nothing in between. Each event is encoded once into a Buffer (and framed once
 * as an HTTP chunk) and written to every stream; the last frames are kept, with their ids, for
 * clients that come back with `Last-Event-ID`.
 *
 * With a Redis URL it is one instance of several: a publish goes to a Redis channel as the
 * encoded frame, and every instance relays what arrives there to its own streams.
 */
export async function createRawHttpServer(
  spec: ServerSpec,
  writer: RawWriter,
): Promise<BenchServer> {
  const hub = new RawHub(writer);
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== BENCH_PATH) {
      response.writeHead(404).end();
      return;
    }
    hub.open(request, response);
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  const relay =
    spec.redisUrl === undefined
      ? undefined
      : await redisRelay(spec.redisUrl, (frame) => hub.broadcast(frame));
  return {
    port: listeningPort(server.address()),
    publish: () => (relay ? hub.relay(relay) : hub.publish()),
    ...(relay && { publishElsewhere: () => hub.relay(relay, ELSEWHERE_CHANNEL) }),
    connectionIds: () => hub.connectionIds(),
    sendToEach: (ids) => hub.sendToEach(ids),
    subscribers: () => hub.subscribers(),
  };
}

/**
 * The streams of a raw server and what it does with them, whoever hands it the responses:
 * node:http here, a NestJS route in `nest-route.server.ts`.
 */
export class RawHub {
  private readonly streams = new Map<string, RawStream>();
  private readonly history = new EventHistory<{ readonly id: string; readonly frame: Buffer }>();
  private readonly nextId = idSequence();
  private readonly openStream: (response: ServerResponse) => RawStream;
  private nextConnection = 0;

  constructor(private readonly writer: RawWriter) {
    this.openStream = writer === 'socket' ? socketStreams() : responseStream;
  }

  /** Writes the head and the events `request`'s `Last-Event-ID` missed; the stream is open. */
  open(request: IncomingMessage, response: ServerResponse): void {
    request.socket.setNoDelay(true);
    response.writeHead(200, HEADERS);
    response.flushHeaders();
    const stream = this.openStream(response);
    const missed = this.history.after(lastEventIdHeader(request.headers['last-event-id']));
    // One write for the whole replay: the client gets it in as few packets as it fits.
    if (missed.length > 0) stream.write(this.framed(Buffer.concat(missed.map((e) => e.frame))));
    const id = String(++this.nextConnection);
    this.streams.set(id, stream);
    response.once('close', () => this.streams.delete(id));
  }

  publish(): string {
    const id = this.nextId();
    const frame = this.frame(id);
    this.history.add({ id, frame });
    this.broadcast(frame);
    return id;
  }

  /**
   * Publishes through Redis, which brings the frame back to `broadcast()` on every instance
   * subscribed to `channel`.
   */
  async relay(redis: Redis, channel = BENCH_CHANNEL): Promise<string> {
    const id = this.nextId();
    await redis.publish(channel, this.frame(id));
    return id;
  }

  broadcast(frame: Buffer): void {
    const data = this.framed(frame);
    for (const stream of this.streams.values()) stream.write(data);
  }

  connectionIds(): string[] {
    return [...this.streams.keys()];
  }

  sendToEach(ids: readonly string[]): void {
    for (const id of ids)
      this.streams.get(id)?.write(this.framed(Buffer.from(TARGETED_FRAME_TEXT)));
  }

  subscribers(): number {
    return this.streams.size;
  }

  private frame(id: string): Buffer {
    return Buffer.from(`id: ${id}\ndata: ${PAYLOAD}\n\n`);
  }

  /** On a socket the frame goes as a chunk of the body, framed here; `res.write()` frames it. */
  private framed(frame: Buffer): Buffer {
    return this.writer === 'socket' ? chunk(frame) : frame;
  }
}

function responseStream(response: ServerResponse): RawStream {
  return { write: (frame) => response.write(frame) };
}

/**
 * Streams written on their sockets directly (the headers are out, and the response holds
 * nothing of its own), corked per tick: one `process.nextTick` uncorks every socket written to
 * during the tick.
 */
function socketStreams(): (response: ServerResponse) => RawStream {
  let corked: SocketStream[] = [];
  const uncork = (): void => {
    const streams = corked;
    corked = [];
    for (const stream of streams) stream.uncork();
  };
  return (response) => {
    const stream = new SocketStream(response.socket as Socket, (corkedNow) => {
      if (corked.push(corkedNow) === 1) process.nextTick(uncork);
    });
    return stream;
  };
}

class SocketStream implements RawStream {
  private corked = false;

  constructor(
    private readonly socket: Socket,
    private readonly onCork: (stream: SocketStream) => void,
  ) {}

  write(data: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      this.onCork(this);
    }
    this.socket.write(data);
  }

  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }
}

/** `frame` as one chunk of a chunked HTTP/1.1 body, as node:http would frame it in three writes. */
function chunk(frame: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`${frame.length.toString(16)}\r\n`),
    frame,
    Buffer.from('\r\n'),
  ]);
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
