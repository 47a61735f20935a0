import { afterEach, describe, expect, it } from '@jest/globals';
import fastifyCompress from '@fastify/compress';
import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import compression from 'compression';
import { EventSource } from 'eventsource';
import { BroadcastService, ConnectionRegistry } from '../lib/index.js';
import { CompositionAppModule, InterceptorLog } from './fixtures/composition.fixture.js';
import { eventsModule, VALID_TOKEN } from './fixtures/events.fixture.js';
import { ADAPTERS, startApp, type AdapterName, type RunningApp } from './support/app.js';
import { opened, openRawStream, readBody } from './support/sse-clients.js';
import { waitUntil } from './support/wait.js';

/** A token the guard refuses: a denial must not log it either. */
const DENIED_TOKEN = 'revoked-token-0815';

describe.each(ADAPTERS)('composition with Nest decorators on %s', (adapter) => {
  let running: RunningApp;
  afterEach(() => running?.close());

  it('passes @Param with a pipe, @Query, @Headers and @Req to the handler', async () => {
    running = await startApp(CompositionAppModule, adapter);
    const stream = await openRawStream(`${running.url}/compose/numbers/7?label=x`, {
      'x-client': 'cli',
    });
    await stream.ended;
    expect(JSON.parse(stream.events[0]?.data ?? '')).toEqual({
      n: 7,
      label: 'x',
      client: 'cli',
      method: 'GET',
    });
  });

  it('answers a pipe failure with 400 JSON, not a stream', async () => {
    running = await startApp(CompositionAppModule, adapter);
    const stream = await openRawStream(`${running.url}/compose/numbers/seven`);
    expect(stream.status).toBe(400);
    expect(JSON.parse(await readBody(stream))).toMatchObject({ statusCode: 400 });
  });

  it('runs controller interceptors before the stream: their headers are sent, their errors are HTTP errors', async () => {
    running = await startApp(CompositionAppModule, adapter);
    const stream = await openRawStream(`${running.url}/compose/numbers/1`);
    expect(stream.status).toBe(200);
    expect(stream.headers['x-rate-remaining']).toBe('9');
    await stream.ended;
    expect(running.app.get(InterceptorLog).entries).toEqual(['before numbers', 'after numbers']);
    const limited = await openRawStream(`${running.url}/compose/numbers/1?limited=1`);
    expect(limited.status).toBe(429);
    expect(JSON.parse(await readBody(limited))).toMatchObject({ message: 'Slow down' });
  });

  it('keeps a header set by middleware', async () => {
    running = await startApp(CompositionAppModule, adapter);
    const stream = await openRawStream(`${running.url}/compose/with-header`);
    expect(stream.status).toBe(200);
    expect(stream.headers['x-request-id']).toBe('from-middleware');
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await stream.ended;
  });

  it('keeps a header declared with @Header()', async () => {
    running = await startApp(CompositionAppModule, adapter);
    const stream = await openRawStream(`${running.url}/compose/with-header`);
    expect(stream.headers['x-route']).toBe('declared');
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await stream.ended;
  });

  it('answers 500 when a header set before the stream cannot be sent, and keeps no connection', async () => {
    running = await startApp(CompositionAppModule, adapter);
    const stream = await openRawStream(`${running.url}/compose/unsendable-header`);
    expect(stream.status).toBe(500);
    expect(stream.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(await readBody(stream))).toMatchObject({ statusCode: 500 });
    expect(running.app.get(ConnectionRegistry).count()).toBe(0);
    const head = await fetch(`${running.url}/compose/unsendable-header`, { method: 'HEAD' });
    expect(head.status).toBe(500);
    // The app still serves streams.
    const next = await openRawStream(`${running.url}/compose/with-header`);
    expect(next.status).toBe(200);
    await next.ended;
  });

  it('joins the channel a function picks from the request, and 404s when it picks none', async () => {
    running = await startApp(CompositionAppModule, adapter);
    const stream = await openRawStream(`${running.url}/compose/by-header`, { 'x-tenant': 'acme' });
    await stream.waitFor(() => stream.raw().includes('retry:'));
    expect(running.app.get(ConnectionRegistry).count({ channel: 'tenants/acme' })).toBe(1);
    stream.close();
    const none = await openRawStream(`${running.url}/compose/by-header`);
    expect(none.status).toBe(404);
  });

  it('answers a handler that returns something unstreamable with 500 and names the route in the log', async () => {
    running = await startApp(CompositionAppModule, adapter);
    const stream = await openRawStream(`${running.url}/compose/bad-return`);
    expect(stream.status).toBe(500);
    await stream.ended;
    expect(running.logs.text()).toContain(
      'CompositionController.badReturn returned "not a stream"',
    );
  });
});

describe.each(ADAPTERS)('tokens for EventSource on %s', (adapter) => {
  let running: RunningApp;
  let source: EventSource | undefined;
  afterEach(async () => {
    source?.close();
    await running?.close();
  });

  /** Receives one publish on the open `source`: the request has been handled all the way. */
  async function receiveOnePublish(channel: string): Promise<void> {
    const received = new Promise<MessageEvent>((resolve) =>
      source?.addEventListener('message', resolve),
    );
    await running.app.get(BroadcastService).publish(channel, { data: 'hello' });
    expect((await received).data).toBe('hello');
  }

  it('accepts a token in the query string and never logs it', async () => {
    running = await startApp(eventsModule(), adapter);
    source = new EventSource(`${running.url}/events/rooms/9?token=${VALID_TOKEN}`);
    await new Promise((resolve) => source?.addEventListener('open', resolve));
    expect(source.readyState).toBe(EventSource.OPEN);
    await receiveOnePublish('rooms/9');
    expect(running.logs.lines.length).toBeGreaterThan(0);
    expect(running.logs.text()).not.toContain(VALID_TOKEN);
  });

  it('accepts a token in a cookie and never logs it', async () => {
    running = await startApp(eventsModule(), adapter);
    source = new EventSource(`${running.url}/events/rooms/9`, {
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...init?.headers, cookie: `session=1; token=${VALID_TOKEN}` },
        }),
    });
    await new Promise((resolve) => source?.addEventListener('open', resolve));
    expect(source.readyState).toBe(EventSource.OPEN);
    await receiveOnePublish('rooms/9');
    expect(running.logs.text()).not.toContain(VALID_TOKEN);
  });

  it('stops an EventSource for good when the guard denies it, and logs no token', async () => {
    running = await startApp(eventsModule(), adapter);
    source = new EventSource(`${running.url}/events/rooms/9?token=${DENIED_TOKEN}`, {
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...init?.headers, cookie: `token=${DENIED_TOKEN}` },
        }),
    });
    const error = await new Promise<Event & { code?: number }>((resolve) =>
      source?.addEventListener('error', resolve),
    );
    expect(error.code).toBe(403);
    expect(source.readyState).toBe(EventSource.CLOSED);
    expect(running.logs.text()).not.toContain(DENIED_TOKEN);
  });

  it('never logs the token when the guarded handler throws (500)', async () => {
    running = await startApp(CompositionAppModule, adapter);
    const stream = await openRawStream(
      `${running.url}/compose/private/throws?token=${VALID_TOKEN}`,
      { cookie: `token=${VALID_TOKEN}` },
    );
    expect(stream.status).toBe(500);
    await stream.ended;
    await waitUntil(
      () => running.logs.text().includes('the handler broke before its stream'),
      () => running.logs.text(),
    );
    expect(running.logs.text()).not.toContain(VALID_TOKEN);
  });

  it('never logs the token when the guarded stream fails', async () => {
    running = await startApp(CompositionAppModule, adapter);
    const stream = await openRawStream(
      `${running.url}/compose/private/fails?token=${VALID_TOKEN}`,
      {
        cookie: `token=${VALID_TOKEN}`,
      },
    );
    await stream.ended;
    await waitUntil(
      () => running.logs.text().includes('failed'),
      () => running.logs.text(),
    );
    expect(running.logs.text()).not.toContain(VALID_TOKEN);
  });
});

/** Express `compression` middleware, or the `@fastify/compress` plugin. */
async function useCompression(app: INestApplication, adapter: AdapterName): Promise<void> {
  if (adapter === 'express') app.use(compression());
  else await (app as NestFastifyApplication).register(fastifyCompress);
}

describe.each(ADAPTERS)('compression on %s', (adapter) => {
  let running: RunningApp;
  afterEach(() => running?.close());

  it('compresses ordinary responses but leaves the stream uncompressed and unbuffered', async () => {
    running = await startApp(eventsModule(), adapter, (app) => useCompression(app, adapter));
    const encodings = { 'accept-encoding': 'gzip, deflate, br' };
    const bulk = await openRawStream(`${running.url}/events/bulk`, encodings);
    expect(bulk.headers['content-encoding']).toMatch(/^(gzip|deflate|br)$/);
    bulk.close();
    const stream = await openRawStream(`${running.url}/events/rooms/5?token=${VALID_TOKEN}`, {
      ...encodings,
    });
    expect(stream.headers['content-encoding']).toBeUndefined();
    await opened(stream);
    // Each event arrives as it is published, as plain text: nothing holds it for a gzip block.
    const broadcast = running.app.get(BroadcastService);
    for (const text of ['one', 'two']) {
      await broadcast.publish('rooms/5', { data: text });
      await stream.waitFor((events) => events.at(-1)?.data === text);
    }
    expect(stream.raw()).toMatch(/data: one\n\n.*data: two\n\n$/s);
    stream.close();
  });
});
