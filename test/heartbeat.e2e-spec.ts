import { afterEach, describe, expect, it } from '@jest/globals';
import { BroadcastService } from '../lib/index.js';
import { ConnectionClock } from '../lib/connection/connection-clock.service.js';
import { lifecycleModule } from './fixtures/lifecycle.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { trackLibraryTimers, type LibraryTimerProbe } from './support/library-timers.js';
import { opened, openRawStream } from './support/sse-clients.js';
import { waitUntil } from './support/wait.js';

const INTERVAL = 100;

describe.each(ADAPTERS)('heartbeat on %s', (adapter) => {
  let running: RunningApp;
  let timers: LibraryTimerProbe | undefined;
  afterEach(async () => {
    timers?.stop();
    timers = undefined;
    await running?.close();
  });

  it('writes a comment line to an idle stream at least once per interval', async () => {
    running = await startApp(lifecycleModule({ heartbeatIntervalMs: INTERVAL }), adapter);
    const stream = await openRawStream(`${running.url}/life/idle`);
    await stream.waitFor(() => stream.chunks.filter((c) => c.text === ':\n\n').length >= 5, 3000);
    const beats = stream.chunks.filter((c) => c.text === ':\n\n').map((c) => c.at);
    const gaps = beats.slice(1).map((at, i) => at - (beats[i] as number));
    // No silence longer than the interval (plus scheduling slack on a loaded CI machine), and
    // no heartbeat storm either: about one per interval.
    expect(Math.max(...gaps)).toBeLessThanOrEqual(INTERVAL + 60);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(INTERVAL / 2);
    expect(stream.events).toEqual([]);
    stream.close();
  });

  it('sends no heartbeat to a stream that receives events more often than the interval', async () => {
    // A longer interval than the other tests: only a stall of over 0.6 of it between two
    // publishes (a loaded machine) could let a heartbeat in.
    const interval = 6 * INTERVAL;
    running = await startApp(lifecycleModule({ heartbeatIntervalMs: interval }), adapter);
    const stream = await openRawStream(`${running.url}/life/idle`);
    await stream.waitFor(() => stream.raw().includes('retry:'));
    const broadcast = running.app.get(BroadcastService);
    for (let i = 0; i < 10; i++) {
      await broadcast.publish('idle', { data: i });
      await new Promise((resolve) => setTimeout(resolve, interval / 10));
    }
    await stream.waitFor((events) => events.length === 10);
    expect(stream.raw()).not.toContain(':\n\n');
    stream.close();
  });

  it('runs one shared timer for many connections, and none once they are gone', async () => {
    timers = trackLibraryTimers();
    running = await startApp(lifecycleModule({ heartbeatIntervalMs: INTERVAL }), adapter);
    const heartbeat = running.app.get(ConnectionClock);
    expect(heartbeat.isRunning).toBe(false);
    expect(timers.live()).toEqual({});
    const streams = await Promise.all(
      Array.from({ length: 20 }, () => openRawStream(`${running.url}/life/idle`)),
    );
    await Promise.all(streams.map((s) => opened(s)));
    expect(heartbeat.isRunning).toBe(true);
    // Exactly the shared clock: one timer, and the probe sees it although it is unref'd.
    expect(timers.live()).toEqual({ 'lib/connection/connection-clock.service.ts': 1 });
    for (const s of streams) s.close();
    await Promise.all(streams.map((s) => s.ended));
    await waitUntil(
      () => timers?.count() === 0,
      () => `library timers left: ${JSON.stringify(timers?.live())}`,
    );
    expect(heartbeat.isRunning).toBe(false);
  });
});
