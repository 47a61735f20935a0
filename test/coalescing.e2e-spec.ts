import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createParser } from 'eventsource-parser';
import { readFileSync } from 'node:fs';
import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import { BroadcastService, ConnectionRegistry } from '../lib/index.js';
import { hubModule } from './fixtures/hub.fixture.js';
import { CapturedLogs } from './support/app.js';
import { openRawStream } from './support/sse-clients.js';
import { waitUntil } from './support/wait.js';

/** Write system calls this process has made so far (Linux). */
const writeCalls = (): number =>
  Number(/syscw: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);

const STREAMS = 20;
const BURST = 100;

type Transport = 'express' | 'fastify' | 'fastify over HTTP/2';

/** A stream read over HTTP/1.1 or HTTP/2, counting the events it parsed. */
interface CountedStream {
  readonly events: () => number;
  /** HTTP/2 only: DATA frames received (one `data` event each). */
  readonly frames: () => number;
  close(): void;
}

async function openHttp1(url: string): Promise<CountedStream> {
  const stream = await openRawStream(url);
  return { events: () => stream.events.length, frames: () => NaN, close: () => stream.close() };
}

function openHttp2(session: ClientHttp2Session, path: string): Promise<CountedStream> {
  return new Promise((resolve, reject) => {
    let events = 0;
    let frames = 0;
    const parser = createParser({ onEvent: (event) => event.event !== 'sse:position' && events++ });
    const request = session.request({ ':path': path, accept: 'text/event-stream' });
    request.setEncoding('utf8');
    request.on('data', (text: string) => {
      frames++;
      parser.feed(text);
    });
    request.on('error', reject);
    request.on('response', () =>
      resolve({ events: () => events, frames: () => frames, close: () => request.close() }),
    );
  });
}

/**
 * Frames written to one stream within one tick leave in one system call per socket, on
 * Express, Fastify and HTTP/2, and a lone event still leaves within its tick. Counted from the
 * kernel's own figure for this process: the writes it made (`/proc/self/io`).
 */
describe.each<Transport>(['express', 'fastify', 'fastify over HTTP/2'])(
  'writes of one tick on %s',
  (transport) => {
    let app: INestApplication | undefined;
    let session: ClientHttp2Session | undefined;
    const streams: CountedStream[] = [];
    afterEach(async () => {
      for (const stream of streams.splice(0)) stream.close();
      // Gone from the registry before the session goes: what is measured here is streams, not
      // how fast a session torn down mid-shutdown lets go of its streams.
      const registry = app?.get(ConnectionRegistry);
      await waitUntil(
        () => (registry?.count() ?? 0) === 0,
        () => 'streams still open',
      );
      session?.destroy();
      session = undefined;
      await app?.close();
      app = undefined;
    });

    const start = async () => {
      const adapter =
        transport === 'express'
          ? new ExpressAdapter()
          : new FastifyAdapter(transport === 'fastify' ? {} : { http2: true });
      app = await NestFactory.create(hubModule(), adapter, {
        logger: new CapturedLogs(),
        abortOnError: false,
      });
      await app.listen(0, '127.0.0.1');
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      if (transport === 'fastify over HTTP/2') session = connectHttp2(url);
      for (let i = 0; i < STREAMS; i++)
        streams.push(
          session
            ? await openHttp2(session, '/hub/rooms/burst')
            : await openHttp1(`${url}/hub/rooms/burst`),
        );
      const registry = app.get(ConnectionRegistry);
      await waitUntil(
        () => registry.count({ channel: 'rooms/burst' }) === STREAMS,
        () => `${registry.count()} streams open`,
      );
      // Whatever opening the streams wrote is out.
      await new Promise((resolve) => setImmediate(resolve));
      return app.get(BroadcastService);
    };

    it(`sends ${BURST} publishes of one tick to each of ${STREAMS} streams in about one write each`, async () => {
      const broadcast = await start();
      const before = writeCalls();
      const framesBefore = streams.map((stream) => stream.frames());
      const published: Array<Promise<unknown>> = [];
      for (let i = 0; i < BURST; i++) published.push(broadcast.publish('rooms/burst', { data: i }));
      await Promise.all(published);
      await waitUntil(
        () => streams.every((stream) => stream.events() === BURST),
        () => `received ${streams.map((stream) => stream.events())}`,
      );
      const writes = writeCalls() - before;
      // One write per event would be 2,000 (per stream on HTTP/1.1); HTTP/2 shares one socket.
      // A socket's buffer may also fill once and be written again.
      expect(writes).toBeLessThanOrEqual(3 * STREAMS);
      expect(writes).toBeGreaterThan(0);
      if (transport === 'fastify over HTTP/2') {
        // And one DATA frame per stream, not per event: 100 events of 300 bytes fit in two of
        // 16 KiB.
        const frames = streams.map((stream, i) => stream.frames() - (framesBefore[i] as number));
        expect(Math.max(...frames)).toBeLessThanOrEqual(4);
      }
    });

    it('still writes a lone event within its tick, with no timer', async () => {
      const broadcast = await start();
      const before = writeCalls();
      await broadcast.publish('rooms/burst', { data: 'alone' });
      // setImmediate runs after the tick's end: the writes must have been made by then.
      await new Promise((resolve) => setImmediate(resolve));
      const writes = writeCalls() - before;
      expect(writes).toBeGreaterThanOrEqual(transport === 'fastify over HTTP/2' ? 1 : STREAMS);
      await waitUntil(
        () => streams.every((stream) => stream.events() === 1),
        () => `received ${streams.map((stream) => stream.events())}`,
      );
    });
  },
);
