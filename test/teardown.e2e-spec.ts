import { afterEach, describe, expect, it } from '@jest/globals';
import { ConnectionRegistry } from '../lib/index.js';
import { ConnectionClock } from '../lib/connection/connection-clock.service.js';
import { ChannelHub } from '../lib/connection/channel-hub.js';
import { lifecycleModule, StreamCounter } from './fixtures/lifecycle.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { openRawStream } from './support/sse-clients.js';
import { trackLibraryTimers, type LibraryTimerProbe } from './support/library-timers.js';
import { waitUntil } from './support/wait.js';

const CYCLES = 1000;
const PARALLEL = 50;

describe.each(ADAPTERS)('teardown on %s', (adapter) => {
  let running: RunningApp;
  let timers: LibraryTimerProbe | undefined;
  afterEach(async () => {
    timers?.stop();
    timers = undefined;
    await running?.close();
  });

  it('unsubscribes the handler stream and leaves the channel when the client disconnects', async () => {
    running = await startApp(lifecycleModule({ heartbeatIntervalMs: 1000 }), adapter);
    const counter = running.app.get(StreamCounter);
    const registry = running.app.get(ConnectionRegistry);
    const stream = await openRawStream(`${running.url}/life/forever/1`);
    await stream.waitFor(() => stream.raw().length > 0);
    expect(counter.active).toBe(1);
    expect(registry.count({ channel: 'forever/1' })).toBe(1);
    stream.close();
    await waitUntil(
      () => registry.count() === 0,
      () => `${registry.count()} still registered`,
    );
    expect(counter.active).toBe(0);
    expect(running.app.get(ChannelHub).memberCounts().size).toBe(0);
  });

  /**
   * Requests `path` with a `connected` listener that ends each stream at once, while it opens
   * (before it has joined its channel or subscribed its handler), and waits until it is gone.
   */
  async function openEndedByListener(path: string): Promise<void> {
    const registry = running.app.get(ConnectionRegistry);
    registry.events$.subscribe((event) => {
      if (event.type === 'connected') registry.disconnect(event.connection.id);
    });
    const stream = await openRawStream(`${running.url}${path}`);
    await stream.ended;
    await waitUntil(
      () => registry.count({ state: 'closing' }) === 0 && registry.count() === 0,
      () => `${registry.list({ state: 'closing' }).length} still closing`,
    );
  }

  it('leaves no membership or subscription behind when a connected listener ends the stream at once', async () => {
    running = await startApp(lifecycleModule(), adapter);
    await openEndedByListener('/life/forever/1');
    expect(running.app.get(ChannelHub).memberCounts().size).toBe(0);
    expect(running.app.get(StreamCounter).active).toBe(0);
  });

  it('never starts the async generator of a stream a connected listener ended at once', async () => {
    running = await startApp(lifecycleModule(), adapter);
    await openEndedByListener('/life/generator');
    expect(running.app.get(StreamCounter).generatorsStarted).toBe(0);
  });

  it.each(['generator', 'upstream'])(
    'returns the async generator of /life/%s when the client disconnects, so its finally block runs',
    async (route) => {
      running = await startApp(lifecycleModule(), adapter);
      const counter = running.app.get(StreamCounter);
      const stream = await openRawStream(`${running.url}/life/${route}`);
      await stream.waitFor((events) => events[0]?.data === 'started');
      expect(counter.active).toBe(1);
      stream.close();
      await waitUntil(
        () => counter.generatorsFinished === 1,
        () => 'generator still running',
      );
      expect(counter.active).toBe(0);
    },
  );

  it(`leaks no subscription, membership or timer after ${CYCLES} connect/disconnect cycles`, async () => {
    timers = trackLibraryTimers();
    running = await startApp(lifecycleModule({ heartbeatIntervalMs: 20 }), adapter);
    const counter = running.app.get(StreamCounter);
    const registry = running.app.get(ConnectionRegistry);
    const heartbeat = running.app.get(ConnectionClock);
    for (let done = 0; done < CYCLES; done += PARALLEL) {
      const streams = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) =>
          openRawStream(`${running.url}/life/forever/${done + i}`),
        ),
      );
      await Promise.all(streams.map((s) => s.waitFor(() => s.raw().length > 0)));
      for (const s of streams) s.close();
      await Promise.all(streams.map((s) => s.ended));
    }
    await waitUntil(
      () => registry.count() === 0 && counter.active === 0,
      () => `${registry.count()} connections, ${counter.active} subscriptions left`,
    );
    expect(counter.opened).toBe(CYCLES);
    expect(running.app.get(ChannelHub).memberCounts().size).toBe(0);
    expect(heartbeat.isRunning).toBe(false);
    // Every timer the library scheduled during the cycles is gone, unref'd ones included.
    await waitUntil(
      () => timers?.count() === 0,
      () => `library timers left: ${JSON.stringify(timers?.live())}`,
    );
  });
});
