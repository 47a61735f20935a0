import { afterEach, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { BroadcastService, ConnectionRegistry, SseShutdownError } from '../lib/index.js';
import { ConnectionClock } from '../lib/connection/connection-clock.service.js';
import { hubModule } from './fixtures/hub.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { closeDuringPublish, gatedPayload } from './support/held-publish.js';
import { startReaders } from './support/readers.js';
import { opened, openRawStream, readBody } from './support/sse-clients.js';
import { trackLibraryTimers, type LibraryTimerProbe } from './support/library-timers.js';
import { activeResources, waitUntil } from './support/wait.js';

const STREAMS = 1_000;

describe.each(ADAPTERS)('shutdown on %s', (adapter) => {
  let running: RunningApp | undefined;
  let readers: ChildProcess | undefined;
  let timers: LibraryTimerProbe | undefined;
  afterEach(async () => {
    timers?.stop();
    timers = undefined;
    readers?.kill();
    await running?.close().catch(() => undefined);
    running = undefined;
  });

  it(`sends the final event to ${STREAMS} open streams, ends them, and closes`, async () => {
    const before = activeResources();
    timers = trackLibraryTimers();
    running = await startApp(
      hubModule({ shutdownEvent: { event: 'end', data: 'restarting' } }),
      adapter,
    );
    const app = running.app;
    const crowd = startReaders(`${running.url}/hub/rooms/all`, STREAMS);
    readers = crowd.child;
    await crowd.ready;
    expect(app.get(ConnectionRegistry).count()).toBe(STREAMS);
    const broadcast = app.get(BroadcastService);
    // A publish already under way when shutdown starts still goes out.
    const inFlight = broadcast.publish('rooms/all', { data: 'last words' });
    await app.close();
    running = undefined;
    await expect(inFlight).resolves.toMatchObject({ delivered: STREAMS });
    const done = await crowd.done;
    // Every reader got the publish under way, then the shutdown event.
    expect(done.counts.filter((c) => c.message !== 1 || c.end !== 1)).toEqual([]);
    expect(app.get(ConnectionRegistry).count()).toBe(0);
    await expect(broadcast.publish('rooms/all', { data: 'too late' })).rejects.toThrow(
      SseShutdownError,
    );
    await expect(broadcast.publish('rooms/all', { data: 'too late' })).rejects.toThrow(
      'SseModule is shutting down: publish to "rooms/all" was not sent',
    );
    // The server, its sockets and the shared timer are gone (the framework may clear a
    // keep-alive timer of its own a moment later).
    expect(app.get(ConnectionClock).isRunning).toBe(false);
    expect(activeResources().TCPServerWrap ?? 0).toBeLessThanOrEqual(before.TCPServerWrap ?? 0);
    await waitUntil(
      () => (activeResources().TCPSocketWrap ?? 0) <= (before.TCPSocketWrap ?? 0),
      () => `sockets before ${JSON.stringify(before)}, now ${JSON.stringify(activeResources())}`,
      5_000,
    );
    await waitUntil(
      () => (activeResources().Timeout ?? 0) <= (before.Timeout ?? 0),
      () => `timers before ${JSON.stringify(before)}, now ${JSON.stringify(activeResources())}`,
      2_000,
    );
    // Unref'd timers hold no handle open, but a library timer left scheduled would be a leak.
    await waitUntil(
      () => timers?.count() === 0,
      () => `library timers still scheduled: ${JSON.stringify(timers?.live())}`,
      2_000,
    );
  });

  it('delivers a publish still validating when close() starts, before the shutdown event', async () => {
    const payload = gatedPayload();
    running = await startApp(
      hubModule({ channels: [{ pattern: 'rooms/:room', payload: payload.Payload }] }),
      adapter,
    );
    const { app } = running;
    const stream = await openRawStream(`${running.url}/hub/rooms/v`);
    await opened(stream);
    const { publishing, closing } = await closeDuringPublish(app, payload, 'rooms/v', 'last words');
    running = undefined;
    // Shutdown waits for the publish: the stream has not been ended yet.
    expect(stream.events).toEqual([]);
    payload.open();
    await expect(publishing).resolves.toMatchObject({ delivered: 1 });
    await closing;
    await stream.ended;
    expect(stream.events.map((e) => [e.event, e.data])).toEqual([
      [undefined, '{"text":"last words"}'],
      ['shutdown', 'server shutting down'],
    ]);
  });

  it('rejects a publish still validating after shutdownTimeoutMs with SseShutdownError, sending nothing', async () => {
    const payload = gatedPayload();
    running = await startApp(
      hubModule({
        shutdownTimeoutMs: 200,
        channels: [{ pattern: 'rooms/:room', payload: payload.Payload }],
      }),
      adapter,
    );
    const { app } = running;
    const stream = await openRawStream(`${running.url}/hub/rooms/v`);
    await opened(stream);
    const publishing = app.get(BroadcastService).publish('rooms/v', { data: { text: 'too slow' } });
    await waitUntil(
      () => payload.validating === 1,
      () => 'the publish never started validating',
    );
    await app.close();
    running = undefined;
    payload.open();
    await expect(publishing).rejects.toThrow(SseShutdownError);
    await expect(publishing).rejects.toThrow(
      'SseModule is shutting down: publish to "rooms/v" was not sent',
    );
    await stream.ended;
    expect(stream.events.map((e) => e.event)).toEqual(['shutdown']);
  });

  it('answers 503 with a JSON reason to a stream requested while shutdown is under way', async () => {
    const payload = gatedPayload();
    running = await startApp(
      hubModule({ channels: [{ pattern: 'rooms/:room', payload: payload.Payload }] }),
      adapter,
    );
    const { app, url } = running;
    // A publish under way holds the shutdown open, with the server still listening.
    const { publishing, closing } = await closeDuringPublish(app, payload, 'rooms/v', 'hold');
    running = undefined;
    const late = await openRawStream(`${url}/hub/rooms/late`);
    expect(late.status).toBe(503);
    expect(JSON.parse(await readBody(late))).toMatchObject({
      statusCode: 503,
      message: 'The server is shutting down',
    });
    expect(app.get(ConnectionRegistry).count()).toBe(0);
    payload.open();
    await publishing;
    await closing;
  });

  it('sends the default shutdown event', async () => {
    running = await startApp(hubModule(), adapter);
    const stream = await openRawStream(`${running.url}/hub/rooms/1`);
    await stream.waitFor(() => stream.raw().includes('retry:'));
    await running.close();
    running = undefined;
    await stream.ended;
    expect(stream.events).toEqual([
      { event: 'shutdown', data: 'server shutting down', id: undefined },
    ]);
  });

  it('drops streams that do not flush within shutdownTimeoutMs', async () => {
    running = await startApp(hubModule({ shutdownTimeoutMs: 200 }), adapter);
    const net = await import('node:net');
    const { hostname, port } = new URL(running.url);
    // A client that never reads, with its kernel buffers full, cannot take the final event.
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`GET /hub/pair HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      socket.pause();
    });
    const registry = running.app.get(ConnectionRegistry);
    const broadcast = running.app.get(BroadcastService);
    while (registry.count({ state: 'open' }) === 0)
      await new Promise((resolve) => setTimeout(resolve, 5));
    const id = registry.list()[0]?.id as string;
    for (let i = 0; (registry.get(id)?.bufferedBytes ?? 0) === 0; i++) {
      await broadcast.publish('flood', { data: 'f'.repeat(4096) }, { conflateKey: String(i) });
      await new Promise((resolve) => setImmediate(resolve));
    }
    const started = Date.now();
    await running.close();
    running = undefined;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(registry.count()).toBe(0);
    socket.destroy();
  });
});
