import { afterEach, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { filter, firstValueFrom, from, take, toArray } from 'rxjs';
import {
  connect,
  SseConnectionError,
  SseHttpError,
  SseParseError,
  type SseStream,
} from '../lib/client/index.js';
import { BroadcastService, ConnectionRegistry } from '../lib/index.js';
import { recordStream } from '../lib/testing/index.js';
import { clientModule, SESSION } from './fixtures/client.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { observedFetch } from './support/hostile-fetch.js';

describe.each(ADAPTERS)('client against the library server on %s', (adapter) => {
  let running: RunningApp | undefined;
  const streams: Array<SseStream<unknown>> = [];
  const open = (path: string, options: Parameters<typeof connect>[1] = {}) => {
    const stream = connect(`${running?.url}${path}`, options);
    streams.push(stream);
    return stream;
  };
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    // Node's fetch opens a spare connection after an aborted stream, which would hold
    // app.close() for seconds (nodejs/undici#5845).
    (running?.app.getHttpServer() as Server | undefined)?.closeAllConnections();
    await running?.close();
    running = undefined;
  });

  it('receives what BroadcastService publishes, parsed as JSON', async () => {
    running = await startApp(clientModule(), adapter);
    const stream = open('/client/news').json<{ text: string }>();
    const recorded = recordStream(stream);
    await stream.opened();
    const broadcast = running.app.get(BroadcastService);
    const first = await broadcast.publish('news', { event: 'chat', data: { text: 'hi' } });
    const second = await broadcast.publish('news', { data: { text: 'plain' } });
    const messages = await recorded.waitForCount(2);
    expect(messages.map(({ event, id, data }) => ({ event, id, data }))).toEqual([
      { event: 'chat', id: first.id, data: { text: 'hi' } },
      { event: 'message', id: second.id, data: { text: 'plain' } },
    ]);
    expect(stream.lastEventId).toBe(second.id);
  });

  it('resumes from Last-Event-ID each time the server ends the stream, and stops on 204', async () => {
    running = await startApp(clientModule({ retryMs: 20 }), adapter);
    let opens = 0;
    const stream = open('/client/count?to=5&per=2', {
      onStateChange: (state) => {
        if (state === 'open') opens++;
      },
    }).json<number>();
    const messages = await recordStream(stream).waitForEnd();
    // The route resumes by itself; the server's history replay (which has nothing for a route
    // without channels) may add `reset` events, which are not what is tested here.
    const counted = messages.filter((m) => m.event === 'message');
    expect(counted.map((m) => [m.id, m.data])).toEqual([
      ['1', 1],
      ['2', 2],
      ['3', 3],
      ['4', 4],
      ['5', 5],
    ]);
    // The server's `retry: 20` preamble set the reconnection delay.
    expect(counted.every((m) => m.retry === 20)).toBe(true);
    expect(opens).toBe(3);
  });

  it('loses nothing when the server drops the stream: its history fills the gap', async () => {
    running = await startApp(clientModule({ retryMs: 50 }), adapter);
    const broadcast = running.app.get(BroadcastService);
    const registry = running.app.get(ConnectionRegistry);
    let opens = 0;
    const stream = open('/client/news', {
      onStateChange: (state) => {
        if (state === 'open') opens++;
      },
    });
    const recorded = recordStream(stream);
    await stream.opened();
    const before = [
      await broadcast.publish('news', { data: 'a' }),
      await broadcast.publish('news', { data: 'b' }),
    ];
    await recorded.waitForCount(2);
    expect(registry.disconnect({ channel: 'news' })).toBe(1);
    // Published while the client waits its 50 ms retry: only history can deliver these.
    const during = [
      await broadcast.publish('news', { data: 'c' }),
      await broadcast.publish('news', { data: 'd' }),
    ];
    const messages = await recorded.waitForCount(4);
    expect(messages.map((m) => [m.id, m.data])).toEqual(
      [...before, ...during].map((result, i) => [result.id, 'abcd'[i]]),
    );
    expect(opens).toBe(2);
  });

  it('stops for good when the server finishes the channel', async () => {
    running = await startApp(clientModule({ retryMs: 20 }), adapter);
    const stream = open('/client/news');
    const recorded = recordStream(stream);
    await stream.opened();
    await running.app.get(BroadcastService).finish('news', { event: 'done', data: 'bye' });
    const messages = await recorded.waitForEnd();
    expect(messages.map((m) => [m.event, m.data])).toEqual([['done', 'bye']]);
    expect(stream.state).toBe('closed');
  });

  it("fails with SseHttpError carrying a guard's 403 and its JSON body", async () => {
    running = await startApp(clientModule(), adapter);
    const error = (await recordStream(open('/client/private')).waitForError()) as SseHttpError;
    expect(error).toBeInstanceOf(SseHttpError);
    expect(error.status).toBe(403);
    expect(error.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(error.body)).toMatchObject({ statusCode: 403, message: 'No valid session' });
  });

  it('ends with SseHttpError when the server refuses a reconnect (503 at maxConnections)', async () => {
    running = await startApp(clientModule({ maxConnections: 1, retryMs: 10 }), adapter);
    const registry = running.app.get(ConnectionRegistry);
    // Holds the reconnect until another client has taken the only slot.
    let slotTaken: () => void = () => undefined;
    const taken = new Promise<void>((resolve) => (slotTaken = resolve));
    let attempts = 0;
    const stream = open('/client/news', {
      backoff: false,
      fetch: async (url, init) => {
        if (++attempts === 2) await taken;
        return fetch(url, init);
      },
    });
    const recorded = recordStream(stream);
    await stream.opened();
    const { id } = await running.app.get(BroadcastService).publish('news', { data: 'before' });
    await recorded.waitForCount(1);
    expect(registry.disconnect({ channel: 'news' })).toBe(1);
    await until(
      () => registry.count() === 0,
      () => `${registry.count()} connections left`,
    );
    const other = open('/client/news');
    await other.opened();
    slotTaken();

    const error = (await recorded.waitForError()) as SseHttpError;
    expect(error).toBeInstanceOf(SseHttpError);
    expect(error.status).toBe(503);
    expect(JSON.parse(error.body)).toMatchObject({
      statusCode: 503,
      message: 'This server has reached its limit of 1 event streams',
    });
    expect(attempts).toBe(2);
    expect(stream.lastEventId).toBe(id);
  });

  it('passes the guard with headers from a function', async () => {
    running = await startApp(clientModule(), adapter);
    const stream = open('/client/private', {
      headers: async () => ({ authorization: `Bearer ${await Promise.resolve(SESSION)}` }),
    });
    const recorded = recordStream(stream);
    await stream.opened();
    await running.app.get(BroadcastService).publish('private', { data: 'for members' });
    expect((await recorded.waitFor(() => true)).data).toBe('for members');
  });

  it('frees the server connection when an Observable subscriber unsubscribes', async () => {
    running = await startApp(clientModule(), adapter);
    const registry = running.app.get(ConnectionRegistry);
    const broadcast = running.app.get(BroadcastService);
    const stream = open('/client/news');
    const firstTwo = new Promise((resolve, reject) =>
      from(stream).pipe(take(2), toArray()).subscribe({ next: resolve, error: reject }),
    );
    await stream.opened();
    expect(registry.count({ channel: 'news' })).toBe(1);
    for (const n of [1, 2, 3]) await broadcast.publish('news', { data: n });
    expect((await firstTwo) as Array<{ data: string }>).toMatchObject([
      { data: '1' },
      { data: '2' },
    ]);
    await until(
      () => registry.count() === 0,
      () => `${registry.count()} connections left`,
    );
    expect(stream.state).toBe('closed');
  });

  it('stays on one connection while heartbeats arrive faster than heartbeatTimeoutMs', async () => {
    running = await startApp(clientModule({ heartbeatIntervalMs: 50 }), adapter);
    const watched = observedFetch();
    let opens = 0;
    const stream = open('/client/news', {
      fetch: watched.fetch,
      heartbeatTimeoutMs: 200,
      onStateChange: (state) => {
        if (state === 'open') opens++;
      },
    });
    const recorded = recordStream(stream);
    await stream.opened();
    const started = Date.now();
    // The preamble, then at least 12 heartbeats, each read on its own (or later, if merged).
    await watched.whenReads(13);
    expect(Date.now() - started).toBeGreaterThan(2 * 200);
    await running.app.get(BroadcastService).publish('news', { data: 'still here' });
    expect((await recorded.waitFor(() => true)).data).toBe('still here');
    expect(opens).toBe(1);
  });

  it.each([
    ['close()', (stream: SseStream, _abort: AbortController) => stream.close()],
    ['its AbortSignal aborting', (_stream: SseStream, abort: AbortController) => abort.abort()],
  ])('frees the server connection on %s', async (_how, end) => {
    running = await startApp(clientModule(), adapter);
    const registry = running.app.get(ConnectionRegistry);
    const abort = new AbortController();
    const stream = open('/client/news', { signal: abort.signal });
    await stream.opened();
    expect(registry.count()).toBe(1);
    end(stream, abort);
    expect(stream.state).toBe('closed');
    await until(
      () => registry.count() === 0,
      () => `${registry.count()} connections left`,
    );
  });

  it('replaces a stream that goes silent past heartbeatTimeoutMs, missing nothing', async () => {
    // Heartbeats an hour apart: after its first event the stream says nothing at all.
    running = await startApp(
      clientModule({ heartbeatIntervalMs: 3_600_000, retryMs: 10 }),
      adapter,
    );
    const registry = running.app.get(ConnectionRegistry);
    const broadcast = running.app.get(BroadcastService);
    const reasons: unknown[] = [];
    const stream = open('/client/news', {
      heartbeatTimeoutMs: 300,
      backoff: false,
      onStateChange: (state, error) => {
        if (state === 'connecting') reasons.push(error);
      },
    });
    const recorded = recordStream(stream);
    await stream.opened();
    const [silent] = registry.list();
    const left = firstValueFrom(
      registry.events$.pipe(filter((event) => event.type === 'disconnected')),
    );
    await broadcast.publish('news', { data: 'a' });
    await recorded.waitForCount(1);
    expect(await left).toMatchObject({ connection: { id: silent?.id }, reason: 'client' });
    // Whether or not the new connection is open yet, Last-Event-ID and history bring it.
    await broadcast.publish('news', { data: 'b' });
    expect((await recorded.waitForCount(2)).map((m) => m.data)).toEqual(['a', 'b']);
    expect(String(reasons[0])).toContain('nothing arrived for 300 ms');
  });

  it('gives up with SseConnectionError when the server stays gone for maxRetries attempts', async () => {
    const gone = await startApp(clientModule({ retryMs: 10 }), adapter);
    running = gone;
    const stream = open('/client/news', { maxRetries: 2, backoff: false });
    const recorded = recordStream(stream);
    await stream.opened();
    running = undefined;
    await gone.close();
    const error = (await recorded.waitForError()) as SseConnectionError;
    expect(error).toBeInstanceOf(SseConnectionError);
    // The end of the stream the server closed, then two refused reconnects.
    expect(error.attempts).toBe(3);
    expect(error.message).toMatch(/gave up after 3 failed connection attempts in a row/);
    expect(recorded.received.map((m) => m.event)).toEqual(['shutdown']);
  });

  it('fails json() with SseParseError on a published event that is not JSON, freeing the connection', async () => {
    running = await startApp(clientModule(), adapter);
    const registry = running.app.get(ConnectionRegistry);
    const stream = open('/client/news').json();
    const recorded = recordStream(stream);
    await stream.opened();
    const { id } = await running.app.get(BroadcastService).publish('news', { data: 'plain text' });
    const error = (await recorded.waitForError()) as SseParseError;
    expect(error).toBeInstanceOf(SseParseError);
    expect([error.reason, error.event, error.id, error.data]).toEqual([
      'invalid-json',
      'message',
      id,
      'plain text',
    ]);
    await until(
      () => registry.count() === 0,
      () => `${registry.count()} connections left`,
    );
  });

  it('starts a new stream after the last message of an ended one, given its lastEventId', async () => {
    running = await startApp(clientModule(), adapter);
    const broadcast = running.app.get(BroadcastService);
    const first = open('/client/news');
    const recorded = recordStream(first);
    await first.opened();
    await broadcast.publish('news', { data: 'a' });
    await recorded.waitForCount(1);
    first.close();
    await broadcast.publish('news', { data: 'b' });
    await broadcast.publish('news', { data: 'c' });
    const second = open('/client/news', { lastEventId: first.lastEventId });
    expect((await recordStream(second).waitForCount(2)).map((m) => m.data)).toEqual(['b', 'c']);
  });
});

/** Polls a server-side condition that no event announces; fails with `describe()`. */
async function until(condition: () => boolean, describe: () => string, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
