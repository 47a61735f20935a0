import { afterEach, describe, expect, it } from '@jest/globals';
import { EventSource } from 'eventsource';
import { connect } from 'node:net';
import { BroadcastService, ConnectionRegistry } from '../lib/index.js';
import { eventsModule, VALID_TOKEN } from './fixtures/events.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { dechunk } from './support/body-chunks.js';
import { opened, openRawStream, readBody } from './support/sse-clients.js';

interface Delivered {
  readonly type: string;
  readonly data: string;
  readonly lastEventId: string;
}

interface ReadToEnd {
  /** What the EventSource dispatched as messages, `event: error` frames included. */
  readonly messages: Delivered[];
  /** The ready state right after the stream ended: CONNECTING means it will reconnect. */
  readonly readyStateAtEnd: number;
}

/**
 * Reads `url` with the eventsource package, as a browser would, until the server ends the
 * response (its first connection error), then closes it before it reconnects.
 */
function readToEnd(url: string, types: readonly string[] = []): Promise<ReadToEnd> {
  return new Promise((resolve) => {
    const source = new EventSource(url);
    const messages: Delivered[] = [];
    const record = ({ type, data, lastEventId }: MessageEvent): void => {
      messages.push({ type, data: String(data), lastEventId });
    };
    for (const type of ['message', ...types]) source.addEventListener(type, record);
    // An `event: error` frame would arrive as a MessageEvent named 'error', beside connection
    // errors: recorded, so a test sees any.
    source.addEventListener('error', (event: Event) => {
      if ('data' in event) return record(event as MessageEvent);
      resolve({ messages, readyStateAtEnd: source.readyState });
      // After the listeners: close() then also cancels the reconnect just scheduled.
      queueMicrotask(() => source.close());
    });
  });
}

describe.each(ADAPTERS)('@SseChannel on %s', (adapter) => {
  let running: RunningApp;
  afterEach(() => running?.close());

  it('answers with the SSE headers and a retry hint', async () => {
    running = await startApp(eventsModule({ retryMs: 1234 }), adapter);
    const stream = await openRawStream(`${running.url}/events/rooms/1?token=${VALID_TOKEN}`);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toBe('no-cache, no-transform');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    expect(stream.headers.connection).toBe('keep-alive');
    expect(stream.headers['content-encoding']).toBeUndefined();
    await stream.waitFor(() => stream.raw().includes('retry: 1234\n\n'));
    stream.close();
  });

  it('delivers what BroadcastService publishes to the channel', async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/rooms/42?token=${VALID_TOKEN}`);
    await stream.waitFor(() => stream.raw().includes('retry:'));
    const result = await running.app
      .get(BroadcastService)
      .publish('rooms/42', { event: 'message', data: { text: 'hi' } });
    expect(result.delivered).toBe(1);
    const [event] = await stream.waitFor((events) => events.length === 1);
    expect(event).toEqual({ event: 'message', id: result.id, data: '{"text":"hi"}' });
    stream.close();
  });

  it('answers a denied request with 403 JSON and no stream', async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/rooms/42?token=wrong`);
    expect(stream.status).toBe(403);
    expect(stream.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(await readBody(stream))).toMatchObject({
      statusCode: 403,
      message: 'Not a member of this room',
    });
  });

  it('ends the response when the returned Observable completes', async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/ticks?n=3`);
    await stream.ended;
    expect(stream.events.map((e) => [e.event, e.id, e.data])).toEqual([
      ['tick', '1', '1'],
      ['tick', '2', '2'],
      ['tick', '3', '3'],
    ]);
  });

  it('sends multi-line data as several data lines', async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/lines`);
    await stream.ended;
    expect(stream.raw()).toContain('data: one\ndata: two\ndata: three\ndata: four\n\n');
    expect(stream.events.map((e) => e.data)).toEqual([
      'one\ntwo\nthree\nfour',
      '{"nested":"a\\nb"}',
    ]);
  });

  it('sends a safe error event and ends the stream when the Observable errors', async () => {
    running = await startApp(eventsModule(), adapter);
    const failed: string[] = [];
    running.app
      .get(ConnectionRegistry)
      .events$.subscribe(
        (e) => e.type === 'disconnected' && e.reason === 'error' && failed.push(e.connection.id),
      );
    const stream = await openRawStream(`${running.url}/events/fails`);
    await stream.ended;
    expect(stream.events).toEqual([
      { data: 'before', event: undefined, id: undefined },
      {
        event: 'sse:error',
        data: '{"message":"Internal server error","status":500,"retryable":true}',
        id: undefined,
      },
    ]);
    expect(stream.raw()).not.toContain('hunter2');
    expect(failed).toHaveLength(1);
    expect(running.logs.text()).toContain(`SSE stream ${failed[0]} (channels: none) failed`);
  });

  it('keeps the other streams of a channel open when one connection fails', async () => {
    running = await startApp(eventsModule(), adapter);
    const healthy = await openRawStream(`${running.url}/events/rooms/7?token=${VALID_TOKEN}`);
    await opened(healthy);
    const flaky = await openRawStream(`${running.url}/events/rooms/7/flaky`);
    await flaky.ended;
    const [hello, error] = flaky.events;
    expect(hello?.event).toBe('hello');
    expect(error).toEqual({
      event: 'sse:error',
      data: '{"message":"Internal server error","status":500,"retryable":true}',
      id: undefined,
    });
    expect(running.logs.text()).toContain(`SSE stream ${hello?.data} (channels: rooms/7) failed`);
    const result = await running.app
      .get(BroadcastService)
      .publish('rooms/7', { data: 'still here' });
    expect(result.delivered).toBe(1);
    await healthy.waitFor((events) => events.some((e) => e.data === 'still here'));
    expect(running.app.get(ConnectionRegistry).count({ channel: 'rooms/7' })).toBe(1);
    healthy.close();
  });

  it("sends NestJS's MessageEvent as an event, its type as the event name", async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/message-events`);
    await stream.ended;
    expect(stream.raw()).toContain('event: tick\nid: 1\nretry: 500\ndata: {"n":1}\n\n');
    expect(stream.events).toEqual([
      { event: 'tick', id: '1', data: '{"n":1}' },
      { event: undefined, id: undefined, data: 'untyped' },
    ]);
  });

  it('ends a stream whose handler emits a value that is no event, saying how to send it', async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/plain-values`);
    await stream.ended;
    expect(stream.events).toEqual([
      {
        event: 'sse:error',
        data: '{"message":"Internal server error","status":500,"retryable":true}',
        id: undefined,
      },
    ]);
    expect(running.logs.text()).toContain(
      '@SseChannel() handler EventsController.plainValues takes an event object { data, event?, retry?, comment? } (got 1); to send a value as it is, wrap it: { data: value }',
    );
  });

  it('refuses an event whose id holds a line break instead of writing it', async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/bad-id`);
    await stream.ended;
    expect(stream.raw()).not.toContain('a\nb');
    expect(stream.events).toEqual([
      {
        event: 'sse:error',
        data: '{"message":"Internal server error","status":500,"retryable":true}',
        id: undefined,
      },
    ]);
    expect(running.logs.text()).toMatch(/"id" must not contain CR, LF or NUL/);
  });

  it('turns an exception thrown by the handler into an HTTP error, not a stream', async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/missing/elsewhere`);
    expect(stream.status).toBe(404);
    expect(JSON.parse(await readBody(stream))).toMatchObject({
      message: 'No such thing: elsewhere',
    });
    const ok = await openRawStream(`${running.url}/events/missing/here`);
    expect(ok.status).toBe(200);
    ok.close();
  });

  it('answers HEAD with the stream headers and no body, and opens no connection', async () => {
    running = await startApp(eventsModule(), adapter);
    const response = await fetch(`${running.url}/events/rooms/1?token=${VALID_TOKEN}`, {
      method: 'HEAD',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(await response.text()).toBe('');
    expect(running.app.get(ConnectionRegistry).count()).toBe(0);
  });

  it('frames events as valid HTTP/1.1 chunks, ends the body, and leaves the socket reusable', async () => {
    running = await startApp(eventsModule(), adapter);
    const { port } = new URL(running.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.setEncoding('latin1');
    let received = '';
    socket.on('data', (text: string) => (received += text));
    const request = (path: string) => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    request('/events/ticks?n=2');
    await until(() => received.includes('\r\n0\r\n\r\n'));
    const first = received;
    received = '';
    // Same socket, next request: the first response ended cleanly.
    request('/events/ticks?n=1');
    await until(() => received.includes('\r\n0\r\n\r\n'));
    socket.destroy();
    for (const response of [first, received]) {
      expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(response).toMatch(/transfer-encoding: chunked/i);
      expect(dechunk(response.slice(response.indexOf('\r\n\r\n') + 4))).toMatch(
        /^retry: 3000\n\n(event: tick\nid: \d\ndata: \d\n\n)+$/,
      );
    }
  });

  it('writes an unchunked body to an HTTP/1.0 client and closes', async () => {
    running = await startApp(eventsModule(), adapter);
    const { port } = new URL(running.url);
    const socket = connect(Number(port), '127.0.0.1', () =>
      socket.write('GET /events/ticks?n=2 HTTP/1.0\r\n\r\n'),
    );
    socket.setEncoding('latin1');
    let received = '';
    socket.on('data', (text: string) => (received += text));
    await new Promise((resolve) => socket.on('close', resolve));
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received).not.toMatch(/transfer-encoding/i);
    expect(received).not.toMatch(/connection: keep-alive/i);
    expect(received.slice(received.indexOf('\r\n\r\n') + 4)).toBe(
      'retry: 3000\n\nevent: tick\nid: 1\ndata: 1\n\nevent: tick\nid: 2\ndata: 2\n\n',
    );
  });

  it('streams what an async generator yields', async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/generator`);
    await stream.ended;
    expect(stream.events.map((e) => e.data)).toEqual(['first', 'second']);
  });

  it('streams the Observable an async handler resolves to', async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/promised/observable`);
    expect(stream.status).toBe(200);
    await stream.ended;
    expect(stream.events).toEqual([
      { event: 'tick', id: '1', data: '1' },
      { event: 'tick', id: '2', data: '2' },
    ]);
  });

  it('streams the AsyncIterable an async handler resolves to', async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/promised/iterable`);
    expect(stream.status).toBe(200);
    await stream.ended;
    expect(stream.events.map((e) => e.data)).toEqual(['first', 'second']);
  });

  it('makes an async handler that resolves nothing a pure channel subscription', async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/promised/nothing`);
    await opened(stream);
    const result = await running.app
      .get(BroadcastService)
      .publish('promised/nothing', { data: 'news' });
    expect(result.delivered).toBe(1);
    const [event] = await stream.waitFor((events) => events.length === 1);
    expect(event).toEqual({ event: undefined, id: result.id, data: 'news' });
    stream.close();
  });

  it('answers an async handler that resolves to a plain value with 500 and says it was a Promise', async () => {
    running = await startApp(eventsModule(), adapter);
    const stream = await openRawStream(`${running.url}/events/promised/value`);
    expect(stream.status).toBe(500);
    expect(JSON.parse(await readBody(stream))).toMatchObject({ statusCode: 500 });
    expect(running.logs.text()).toContain(
      '@SseChannel() handler EventsController.promisedValue returned a Promise of "not a stream"; a Promise must resolve to an Observable, an AsyncIterable or nothing',
    );
    expect(running.app.get(ConnectionRegistry).count()).toBe(0);
  });
});

describe.each(ADAPTERS)('streams read with the eventsource package on %s', (adapter) => {
  let running: RunningApp;
  afterEach(() => running?.close());

  it('joins multi-line data with LF', async () => {
    running = await startApp(eventsModule(), adapter);
    const { messages } = await readToEnd(`${running.url}/events/lines`);
    expect(messages).toEqual([
      { type: 'message', data: 'one\ntwo\nthree\nfour', lastEventId: '' },
      { type: 'message', data: '{"nested":"a\\nb"}', lastEventId: '' },
    ]);
  });

  it('dispatches events by type, sets lastEventId from their ids, and sees the stream end', async () => {
    running = await startApp(eventsModule(), adapter);
    const { messages, readyStateAtEnd } = await readToEnd(`${running.url}/events/ticks?n=3`, [
      'tick',
    ]);
    expect(messages).toEqual([
      { type: 'tick', data: '1', lastEventId: '1' },
      { type: 'tick', data: '2', lastEventId: '2' },
      { type: 'tick', data: '3', lastEventId: '3' },
    ]);
    // A completed stream is an ended response: EventSource would reconnect after retry.
    expect(readyStateAtEnd).toBe(EventSource.CONNECTING);
  });

  it("receives a failed stream's sse:error under its own name, never as EventSource's error event", async () => {
    running = await startApp(eventsModule(), adapter);
    // readToEnd records an 'error' event that carries data as a message: there must be none.
    const { messages } = await readToEnd(`${running.url}/events/fails`, ['sse:error']);
    expect(messages).toEqual([
      { type: 'message', data: 'before', lastEventId: '' },
      {
        type: 'sse:error',
        data: '{"message":"Internal server error","status":500,"retryable":true}',
        lastEventId: '',
      },
    ]);
  });

  it('sets lastEventId to the id publish() assigned', async () => {
    running = await startApp(eventsModule(), adapter);
    const source = new EventSource(`${running.url}/events/rooms/3?token=${VALID_TOKEN}`);
    try {
      await new Promise((resolve) => source.addEventListener('open', resolve));
      const received = new Promise<MessageEvent>((resolve) =>
        source.addEventListener('message', resolve),
      );
      const result = await running.app.get(BroadcastService).publish('rooms/3', { data: { n: 1 } });
      const message = await received;
      expect(message.data).toBe('{"n":1}');
      expect(message.lastEventId).toBe(result.id);
    } finally {
      source.close();
    }
  });
});
