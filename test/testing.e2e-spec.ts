import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SseHttpError } from '../lib/client/index.js';
import { BroadcastService, ConnectionRegistry } from '../lib/index.js';
import { createSseTestApp, type SseTestApp } from '../lib/testing/index.js';
import { clientModule, SESSION } from './fixtures/client.fixture.js';
import { ADAPTERS, type AdapterName } from './support/app.js';

const adapterFor = (name: AdapterName) =>
  name === 'express' ? new ExpressAdapter() : new FastifyAdapter();

describe.each(ADAPTERS)('createSseTestApp on %s', (adapter) => {
  let sse: SseTestApp | undefined;
  let ownApp: INestApplication | undefined;
  afterEach(async () => {
    await sse?.close();
    // The spare connection Node's fetch leaves after an aborted stream (nodejs/undici#5845)
    // would hold app.close() for seconds; the helper only closes it in apps it owns.
    (ownApp?.getHttpServer() as Server | undefined)?.closeAllConnections();
    await ownApp?.close();
    sse = undefined;
    ownApp = undefined;
  });

  it('starts a module, opens several streams and sees a publish on each', async () => {
    sse = await createSseTestApp(clientModule(), { httpAdapter: adapterFor(adapter) });
    const streams = await sse.openMany<{ text: string }>(3, '/client/news', { json: true });
    expect(sse.app.get(ConnectionRegistry).count({ channel: 'news' })).toBe(3);
    await sse.app.get(BroadcastService).publish('news', { data: { text: 'to everyone' } });
    const received = await Promise.all(streams.map((s) => s.waitFor(() => true)));
    expect(received.map((m) => m.data.text)).toEqual(['to everyone', 'to everyone', 'to everyone']);
    const server = sse.app.getHttpServer() as { listening: boolean };
    await sse.close();
    expect(streams.map((s) => s.stream.state)).toEqual(['closed', 'closed', 'closed']);
    expect(server.listening).toBe(false);
    sse = undefined;
  });

  it('takes an application made elsewhere and leaves it running on close()', async () => {
    ownApp = await NestFactory.create(clientModule(), adapterFor(adapter), { logger: false });
    sse = await createSseTestApp(ownApp);
    const stream = await sse.open('/client/news');
    await sse.close();
    sse = undefined;
    expect(stream.stream.state).toBe('closed');
    const health = await fetch(
      `${await ownApp.getUrl()}/client/health`.replace('[::1]', '127.0.0.1'),
    );
    expect(await health.json()).toEqual({ ok: true });
  });

  it("rejects open() with the client's SseHttpError when a guard refuses", async () => {
    sse = await createSseTestApp(clientModule(), { httpAdapter: adapterFor(adapter) });
    const failure = await sse.open('/client/private').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SseHttpError);
    expect((failure as SseHttpError).status).toBe(403);
    expect(sse.streams).toHaveLength(0);
  });

  it('opens every stream with the client options it was given', async () => {
    sse = await createSseTestApp(clientModule(), {
      httpAdapter: adapterFor(adapter),
      client: { headers: { authorization: `Bearer ${SESSION}` } },
    });
    const stream = await sse.open('/client/private');
    expect(stream.stream.state).toBe('open');
  });
});

describe('SseRecording', () => {
  let sse: SseTestApp | undefined;
  afterEach(async () => {
    await sse?.close();
    sse = undefined;
  });
  const publish = (data: unknown) => sse?.app.get(BroadcastService).publish('news', { data: data });

  it('shows the predicate and what arrived when a wait times out', async () => {
    sse = await createSseTestApp(clientModule());
    const stream = await sse.open('/client/news');
    const first = await publish('first');
    const second = await publish({ n: 2 });
    await stream.waitForCount(2);
    const failure = await stream
      .waitFor((m) => m.data === 'never', { timeoutMs: 150 })
      .catch((error: Error) => error);
    expect((failure as Error).message).toBe(
      [
        "Timed out after 150 ms waiting for an event matching (m) => m.data === 'never'",
        `  stream: ${sse.url}/client/news (state: open)`,
        '  received 2 events:',
        `    #1 message id="${first?.id}" "first"`,
        `    #2 message id="${second?.id}" "{\\"n\\":2}"`,
      ].join('\n'),
    );
  });

  it('names what it waits for with a description', async () => {
    sse = await createSseTestApp(clientModule());
    const stream = await sse.open('/client/news');
    await expect(
      stream.waitFor(() => false, { timeoutMs: 50, description: 'the welcome message' }),
    ).rejects.toThrow(
      /^Timed out after 50 ms waiting for the welcome message\n {2}stream: .*\n {2}received no events$/,
    );
  });

  it('fails a wait as soon as the stream ends, not at its timeout', async () => {
    sse = await createSseTestApp(clientModule({ retryMs: 10 }));
    const stream = await sse.open('/client/count?to=2&per=2');
    const started = Date.now();
    const failure = await stream
      .waitFor((m) => m.data === '99', { timeoutMs: 5_000 })
      .catch((error: Error) => error);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((failure as Error).message).toMatch(
      /^The stream ended before an event matching .* arrived\n {2}stream: .* \(ended normally\)\n {2}received 2 events:/,
    );
  });

  it('waits for the end, for an error, and for a number of matches', async () => {
    sse = await createSseTestApp(clientModule({ retryMs: 10 }));
    const counting = await sse.open<number>('/client/count?to=4&per=3', { json: true });
    const evens = await counting.waitForCount(2, (m) => m.data % 2 === 0);
    expect(evens.map((m) => m.data)).toEqual([2, 4]);
    // The route resumes by itself; server-side replay may add `reset` events between responses.
    const all = await counting.waitForEnd();
    expect(all.filter((m) => m.event === 'message').map((m) => m.data)).toEqual([1, 2, 3, 4]);
    await expect(counting.waitForError({ timeoutMs: 100 })).rejects.toThrow(
      /^Expected the stream to fail, but it ended normally/,
    );
  });

  it('keeps at most historyLimit messages, and says how many it dropped', async () => {
    sse = await createSseTestApp(clientModule(), { historyLimit: 3 });
    const stream = await sse.open('/client/news');
    for (const n of [1, 2, 3, 4, 5]) await publish(n);
    await stream.waitFor((m) => m.data === '5');
    expect(stream.received.map((m) => m.data)).toEqual(['3', '4', '5']);
    expect(stream.dropped).toBe(2);
    await expect(stream.waitFor(() => false, { timeoutMs: 20 })).rejects.toThrow(
      /received 5 events \(showing the last 3; 2 earlier\):\n {4}#3 message/,
    );
  });

  it('fails a wait with the error its predicate throws', async () => {
    sse = await createSseTestApp(clientModule());
    const stream = await sse.open<{ user: { name: string } }>('/client/news', { json: true });
    await publish({ anonymous: true });
    await expect(stream.waitFor((m) => m.data.user.name === 'ada')).rejects.toThrow(
      /^The predicate of waitFor\(an event matching .*\) threw: TypeError: /,
    );
  });

  it('fails open() after its timeout, naming the URL', async () => {
    sse = await createSseTestApp(clientModule());
    await expect(sse.open('/client/stall', { timeoutMs: 100 })).rejects.toThrow(
      `No connection to ${sse.url}/client/stall opened within 100 ms`,
    );
    expect(sse.streams).toHaveLength(0);
  });

  it('refuses something that is neither a module nor an application', async () => {
    await expect(createSseTestApp({} as never)).rejects.toThrow(
      'createSseTestApp() takes a module class, a dynamic module or an INestApplication',
    );
  });
});
