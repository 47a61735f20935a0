import { afterEach, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { BroadcastService, ConnectionRegistry, SseShutdownError } from '../lib/index.js';
import { hubModule } from './fixtures/hub.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { startReaders } from './support/readers.js';
import { openRawStream } from './support/sse-clients.js';
import { activeResources, waitUntil } from './support/wait.js';
import { ConnectionClock } from '../lib/connection/connection-clock.service.js';

const STREAMS = 1_000;

describe.each(ADAPTERS)('shutdown on %s', (adapter) => {
  let running: RunningApp | undefined;
  let readers: ChildProcess | undefined;
  afterEach(async () => {
    readers?.kill();
    await running?.close().catch(() => undefined);
    running = undefined;
  });

  it(`sends the final event to ${STREAMS} open streams, ends them, and closes`, async () => {
    const before = activeResources();
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
    const inFlight = broadcast.publish('rooms/all', 'last words');
    await app.close();
    running = undefined;
    await expect(inFlight).resolves.toMatchObject({ delivered: STREAMS });
    const done = await crowd.done;
    expect(done.minBytes).toBeGreaterThan(0);
    expect(app.get(ConnectionRegistry).count()).toBe(0);
    await expect(broadcast.publish('rooms/all', 'too late')).rejects.toThrow(SseShutdownError);
    await expect(broadcast.publish('rooms/all', 'too late')).rejects.toThrow(
      'SseModule is shutting down: publish to "rooms/all" was not sent',
    );
    // The server, its sockets and the shared timer are gone (the framework may clear a
    // keep-alive timer of its own a moment later).
    expect(app.get(ConnectionClock).isRunning).toBe(false);
    expect(activeResources().TCPServerWrap ?? 0).toBeLessThanOrEqual(before.TCPServerWrap ?? 0);
    await waitUntil(
      () => (activeResources().Timeout ?? 0) <= (before.Timeout ?? 0),
      () => `timers before ${JSON.stringify(before)}, now ${JSON.stringify(activeResources())}`,
      2_000,
    );
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
