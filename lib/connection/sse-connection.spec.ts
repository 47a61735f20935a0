import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import {
  createServer,
  request,
  type ClientRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { OutboundFrame } from '../interfaces/sse-frame.interface.js';
import {
  SseConnection,
  tickLimitOf,
  type ReplayOutcome,
  type SseConnectionHost,
} from './sse-connection.js';
import { TickFlush } from './tick-flush.js';

/** An event of channel `c` at backend position `1-<seq>`, as a broadcast delivers it. */
const live = (seq: number): OutboundFrame => ({
  bytes: Buffer.from(`id: 1-${seq}\ndata: ${seq}\n\n`),
  isEvent: true,
  channel: 'c',
  position: `1-${seq}`,
});
/** The same event read from history, as a replay sends it: no conflation key. */
const replayed = (seq: number): OutboundFrame => ({
  bytes: Buffer.from(`id: 1-${seq}\ndata: ${seq}\n\n`),
  isEvent: true,
  channel: 'c',
  position: `1-${seq}`,
});
/** A replay of `frames` that leaves the stream at `to`, for a client that resumed at `from`. */
const replay = (frames: OutboundFrame[], from: string, to: string): ReplayOutcome => ({
  frames,
  from: [from],
  to: [to],
  lastEventId: from,
});

interface Pair {
  readonly connection: SseConnection;
  /** Events the client parsed so far. */
  readonly events: EventSourceMessage[];
  /** Resolves once the client has parsed `count` events. */
  received(count: number): Promise<EventSourceMessage[]>;
  /** Resolves when the client's response is over, whichever side ended it. */
  readonly closed: Promise<void>;
}

/** A connection not yet opened, on the server's response to a request the client sent. */
async function connect(
  server: Server,
  maxBufferedBytes: number,
): Promise<{ connection: SseConnection; response: ServerResponse; client: ClientRequest }> {
  const responses = new Promise<ServerResponse>((resolve) =>
    server.once('request', (_request, response: ServerResponse) => resolve(response)),
  );
  const { port } = server.address() as AddressInfo;
  const client = request({ host: '127.0.0.1', port, path: '/' });
  client.end();
  const response = await responses;
  // No registry or channels to keep in step here: the host has nothing to do.
  const host: SseConnectionHost = {
    instance: 'test',
    tick: new TickFlush(),
    maxBufferedBytes,
    tickLimit: tickLimitOf(maxBufferedBytes),
    slowConsumer: 'disconnect',
    retired: () => undefined,
    closed: () => undefined,
  };
  const connection = new SseConnection(
    {
      id: 'test-1',
      channels: ['c'],
      userId: undefined,
      request: {},
      userAgent: undefined,
      response,
    },
    host,
  );
  return { connection, response, client };
}

/**
 * An open `SseConnection` on a real HTTP response over loopback, and the client reading it:
 * what the client parses is what the connection wrote, in the order it reached the socket.
 */
async function openPair(server: Server, maxBufferedBytes = 1024 * 1024): Promise<Pair> {
  const { connection, client } = await connect(server, maxBufferedBytes);
  connection.open({ 'content-type': 'text/event-stream' }, undefined);
  const incoming = await new Promise<IncomingMessage>((resolve) =>
    client.once('response', resolve),
  );
  const events: EventSourceMessage[] = [];
  const waiters = new Set<() => void>();
  const parser = createParser({ onEvent: (event) => events.push(event) });
  incoming.setEncoding('utf8');
  incoming.on('data', (text: string) => {
    parser.feed(text);
    for (const check of waiters) check();
  });
  // A connection dropped by the server aborts the response: that is an expected ending here.
  incoming.on('error', () => undefined);
  client.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => incoming.once('close', () => resolve()));
  return {
    connection,
    events,
    closed,
    received: (count) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (events.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(events);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} events, got ${JSON.stringify(events)}`));
        }, 5_000);
        waiters.add(check);
        check();
      }),
  };
}

/** A loopback HTTP server for each test of the calling `describe`, closed after it. */
function serverPerTest(): () => Server {
  let server: Server;
  beforeEach(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return () => server;
}

describe('SseConnection replay hold', () => {
  const server = serverPerTest();
  const pairs: Pair[] = [];
  const start = async (maxBufferedBytes?: number): Promise<Pair> => {
    const pair = await openPair(server(), maxBufferedBytes);
    pairs.push(pair);
    return pair;
  };
  afterEach(() => {
    for (const pair of pairs.splice(0)) pair.connection.destroy('client');
  });

  it('holds live frames while history is read, then writes the replay and the held frames it did not cover, in order', async () => {
    const { connection, events, received } = await start();
    connection.holdLive();
    // Published while the replay reads history: 3 and 4 are also in what it read.
    for (const seq of [3, 4, 5]) expect(connection.write(live(seq), Date.now())).toBe(true);
    expect(connection.bufferedBytes).toBe(
      [3, 4, 5].reduce((bytes, seq) => bytes + live(seq).bytes.length, 0),
    );
    connection.resumeLive(replay([1, 2, 3, 4].map(replayed), '1-0', '1-4'));
    await received(5);
    expect(events.map((e) => e.data)).toEqual(['1', '2', '3', '4', '5']);
    expect(connection.eventsSent).toBe(5);
    expect(connection.bufferedBytes).toBe(0);
  });

  it('skips a late live frame the replay covered until its channel moves past the replay', async () => {
    const { connection, events, received } = await start();
    connection.holdLive();
    connection.resumeLive(replay([1, 2].map(replayed), '1-0', '1-2'));
    // A distributed backend may deliver a frame the history read already returned.
    expect(connection.write(live(2), Date.now())).toBe(false);
    // Other channels, and frames without a position (targeted sends), are never skipped.
    const other = { ...live(1), channel: 'elsewhere' };
    expect(connection.write(other, Date.now())).toBe(true);
    const targeted = { bytes: Buffer.from('data: 0\n\n'), isEvent: true };
    expect(connection.write(targeted, Date.now())).toBe(true);
    expect(connection.write(live(3), Date.now())).toBe(true);
    await received(5);
    expect(events.map((e) => e.data)).toEqual(['1', '2', '1', '0', '3']);
  });

  it('drops the held frames when ended during a hold, so its client resumes before them', async () => {
    const { connection, events, received, closed } = await start();
    connection.holdLive();
    connection.write(live(7), Date.now());
    connection.end('shutdown', {
      bytes: Buffer.from('event: bye\ndata: x\n\n'),
      isEvent: true,
    });
    await received(1);
    await closed;
    // Sent without the replay, 7 would move the client's id past the events it missed.
    expect(events.map((e) => [e.event, e.data])).toEqual([['bye', 'x']]);
  });

  it("writes a replay larger than the socket's high-water mark and maxBufferedBytes to a reading client, dropping nothing", async () => {
    // The replay is written corked; were the bytes the cork holds back taken for a client not
    // reading, the 'disconnect' policy would drop this one before the replay was half written.
    const bound = 32 * 1024;
    const { connection, received } = await start(bound);
    const count = 48;
    const frames = Array.from({ length: count }, (_, i) => ({
      bytes: Buffer.from(`id: 1-${i + 1}\ndata: ${'x'.repeat(1000)}\n\n`),
      isEvent: true,
      channel: 'c',
      position: `1-${i + 1}`,
    }));
    connection.holdLive();
    connection.resumeLive(replay(frames, '1-0', `1-${count}`));
    expect(connection.state).toBe('open');
    expect(connection.droppedEvents).toBe(0);
    const events = await received(count);
    expect(events.map((e) => e.id)).toEqual(frames.map((_, i) => `1-${i + 1}`));
  });

  it('drops the client as a slow consumer once held frames exceed maxBufferedBytes', async () => {
    const bound = 1024;
    const { connection, events, closed } = await start(bound);
    const frame = live(1);
    const fit = Math.floor(bound / frame.bytes.length);
    connection.holdLive();
    for (let i = 0; i < fit; i++) expect(connection.write(frame, Date.now())).toBe(true);
    expect(connection.bufferedBytes).toBeLessThanOrEqual(bound);
    expect(connection.write(frame, Date.now())).toBe(false);
    expect(connection.state).toBe('closed');
    expect(connection.closeReason).toBe('slow-consumer');
    // Nothing held is kept, and nothing of it was sent.
    expect(connection.bufferedBytes).toBe(0);
    await closed;
    expect(events).toEqual([]);
  });
});

describe('SseConnection open', () => {
  const server = serverPerTest();

  it('stays connecting, its socket uncorked, when Node refuses a header, so the error reply goes out', async () => {
    const { connection, response, client } = await connect(server(), 1024);
    // U+20AC has no latin1 byte; Fastify passes such a header through until it is written.
    expect(() => connection.open({ 'x-price': '5 \u20ac' }, undefined)).toThrow(
      'Invalid character in header content ["x-price"]',
    );
    expect(connection.state).toBe('connecting');
    expect(response.socket?.writableCorked).toBe(0);
    connection.discard();
    expect(connection.state).toBe('closed');
    // What the framework does next: answer with an error on the same response.
    response.writeHead(500, { 'content-length': '0' });
    response.flushHeaders();
    const incoming = await new Promise<IncomingMessage>((resolve) =>
      client.once('response', resolve),
    );
    expect(incoming.statusCode).toBe(500);
  });
});

describe('SseConnection writes of one tick', () => {
  const server = serverPerTest();

  /** Writes 20 events of 1 KiB in one tick; returns the most bytes the socket held meanwhile. */
  async function burst(maxBufferedBytes: number): Promise<{ held: number; pair: Pair }> {
    const sockets = new Promise<Socket>((resolve) =>
      server().once('request', (request: IncomingMessage) => resolve(request.socket)),
    );
    const pair = await openPair(server(), maxBufferedBytes);
    const socket = await sockets;
    let held = 0;
    for (let seq = 1; seq <= 20; seq++) {
      const frame = {
        ...live(seq),
        bytes: Buffer.from(`id: 1-${seq}\ndata: ${'x'.repeat(1024)}\n\n`),
      };
      pair.connection.write(frame, Date.now());
      held = Math.max(held, socket.writableLength);
    }
    return { held, pair };
  }

  it('lets a burst out of its cork in writes of at most a quarter of maxBufferedBytes, losing nothing', async () => {
    // 16 KiB bounds what may wait: the cork holds at most 4 KiB (and one more frame) of the tick.
    const { held, pair } = await burst(16 * 1024);
    expect(held).toBeLessThanOrEqual(4 * 1024 + 1100);
    const events = await pair.received(20);
    expect(events.map((event) => event.id)).toEqual(
      Array.from({ length: 20 }, (_, i) => `1-${i + 1}`),
    );
    expect(pair.connection.state).toBe('open');
    pair.connection.destroy('client');
  });

  it('holds a burst below the bound in its cork until the end of the tick', async () => {
    // The counterpart, so the bound above is what kept the cork small: 20 KiB wait in one write.
    const { held, pair } = await burst(1024 * 1024);
    expect(held).toBeGreaterThan(20 * 1024);
    await pair.received(20);
    pair.connection.destroy('client');
  });
});
