import { afterEach, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import type net from 'node:net';
import {
  BroadcastService,
  ConnectionRegistry,
  type SlowConsumerPolicy,
  type SseModuleOptions,
} from '../lib/index.js';
import { SSE_DEFAULTS } from '../lib/sse.constants.js';
import { hubModule } from './fixtures/hub.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { startReaders, type ReadersDone } from './support/readers.js';
import { GatedReplayBackend } from './support/replay-backends.js';
import { openRawStream } from './support/sse-clients.js';
import { backUp, stalledClient } from './support/stalled-client.js';
import { waitUntil } from './support/wait.js';

const READERS = 1_000;
const BOUND = 64 * 1024;
const EVENT = 'x'.repeat(1024);
/** Events on the shared channel: several times BOUND, well under the default bound. */
const EVENTS = 400;
/** A flood event and its frame, with room for the id and the chunk framing. */
const FLOOD = 'f'.repeat(4096);
const FLOOD_FRAME = FLOOD.length + 100;
const POLICIES: SlowConsumerPolicy[] = ['disconnect', 'drop-oldest', 'conflate'];

/** Readers that did not receive exactly `ticks` tick events (and the end marker). */
const shortchanged = (done: ReadersDone, ticks: number) =>
  done.counts.filter((received) => received.tick !== ticks || received.end !== 1);

describe.each(ADAPTERS)('slow consumer on %s', (adapter) => {
  describe.each(POLICIES)('policy %s', (policy) => {
    let running: RunningApp;
    let registry: ConnectionRegistry;
    let broadcast: BroadcastService;
    let readers: ChildProcess | undefined;
    let stalled: net.Socket | undefined;
    let slowId: string;

    const start = async (options: SseModuleOptions = {}) => {
      running = await startApp(hubModule({ slowConsumer: policy, ...options }), adapter);
      registry = running.app.get(ConnectionRegistry);
      broadcast = running.app.get(BroadcastService);
    };

    /** A client of `rooms/shared` and `flood` that never reads, with its kernel buffers full. */
    const startWithStalledClient = async (options: SseModuleOptions = {}) => {
      await start(options);
      stalled = await stalledClient(`${running.url}/hub/pair`);
      await waitUntil(
        () => registry.count({ state: 'open' }) === 1,
        () => 'stalled client not connected',
      );
      slowId = registry.list()[0]?.id as string;
      await backUp(broadcast, registry, slowId);
    };

    /** Publishes EVENTS ticks to the crowd (and the stalled client), then the end marker. */
    const publishTicks = async (): Promise<number> => {
      let maxBuffered = 0;
      for (let i = 0; i < EVENTS; i++) {
        // Under conflate, readers that fall behind for a moment also keep only the latest event
        // per key (that is the policy); distinct keys make every event count here.
        await broadcast.publish(
          'rooms/shared',
          { event: 'tick', data: EVENT },
          { conflateKey: String(i) },
        );
        maxBuffered = Math.max(maxBuffered, registry.get(slowId)?.bufferedBytes ?? 0);
        if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await broadcast.publish('rooms/shared', { event: 'end', data: '' });
      return maxBuffered;
    };

    afterEach(async () => {
      readers?.kill();
      readers = undefined;
      stalled?.destroy();
      stalled = undefined;
      await running?.close();
    });

    it(`bounds what waits for a client that never reads, while ${READERS} others receive every event`, async () => {
      await startWithStalledClient({ maxBufferedBytes: BOUND });
      const crowd = startReaders(`${running.url}/hub/rooms/shared`, READERS);
      readers = crowd.child;
      await crowd.ready;
      const maxBuffered = await publishTicks();
      expect(shortchanged(await crowd.done, EVENTS)).toEqual([]);
      // What waited for the stalled client never exceeded the bound (plus the frame in flight).
      expect(maxBuffered).toBeLessThanOrEqual(BOUND + FLOOD_FRAME);
      const slow = registry.get(slowId);
      if (policy === 'disconnect') {
        expect(slow).toBeUndefined();
        expect(registry.stats().disconnects['slow-consumer']).toBe(1);
      } else {
        expect(slow?.state).toBe('open');
        expect(slow?.droppedEvents).toBeGreaterThan(0);
        expect(registry.stats().droppedEvents).toBe(slow?.droppedEvents);
      }
    });

    it(`does not hold back ${READERS} readers: they have every event while all of them still wait for the stalled client`, async () => {
      // The default bound (1 MiB) takes every tick, so the stalled client stays connected.
      await startWithStalledClient();
      const crowd = startReaders(`${running.url}/hub/rooms/shared`, READERS);
      readers = crowd.child;
      await crowd.ready;
      await publishTicks();
      expect(shortchanged(await crowd.done, EVENTS)).toEqual([]);
      // Had the fan-out waited for the stalled client, its ticks would not all still be queued.
      const slow = registry.get(slowId);
      expect(slow?.state).toBe('open');
      expect(slow?.droppedEvents).toBe(0);
      expect(slow?.bufferedBytes).toBeGreaterThanOrEqual(EVENTS * EVENT.length);
    });

    it(`never holds more than the default ${SSE_DEFAULTS.maxBufferedBytes} bytes for a client that never reads`, async () => {
      await startWithStalledClient();
      const bound = SSE_DEFAULTS.maxBufferedBytes;
      let maxBuffered = 0;
      // Past the bound the policy acts: disconnect, or drops (the first drop, then 50 more).
      let extra = 50;
      for (let i = 0; registry.get(slowId) !== undefined && extra > 0; i++) {
        if (i > (4 * bound) / FLOOD.length) throw new Error('the bound was never reached');
        await broadcast.publish(
          'flood',
          { event: 'flood', data: FLOOD },
          { conflateKey: `bound-${i}` },
        );
        maxBuffered = Math.max(maxBuffered, registry.get(slowId)?.bufferedBytes ?? 0);
        if ((registry.get(slowId)?.droppedEvents ?? 0) > 0) extra--;
      }
      expect(maxBuffered).toBeLessThanOrEqual(bound + FLOOD_FRAME);
      // It was this bound that acted, not some other limit below it.
      expect(maxBuffered).toBeGreaterThan(bound - 2 * FLOOD_FRAME);
      if (policy === 'disconnect') {
        expect(registry.get(slowId)).toBeUndefined();
        expect(registry.stats().disconnects).toEqual({ 'slow-consumer': 1 });
      } else {
        expect(registry.get(slowId)?.state).toBe('open');
        expect(registry.get(slowId)?.bufferedBytes).toBeLessThanOrEqual(bound + FLOOD_FRAME);
      }
    });

    it('drops a client whose held live events outgrow the bound while its replay is read', async () => {
      const backend = new GatedReplayBackend();
      await start({ backend, maxBufferedBytes: BOUND });
      const { id } = await broadcast.publish('rooms/h', { data: 'seen' });
      // The stream opens once its history is read, which the backend holds back.
      const outcome = openRawStream(`${running.url}/hub/rooms/h`, { 'last-event-id': id }).then(
        (stream) => stream,
        (error: unknown) => error,
      );
      await waitUntil(
        () => backend.started === 1,
        () => 'the replay never started',
      );
      const holderId = registry.list()[0]?.id as string;
      let maxBuffered = 0;
      // Live events wait while the replay is pending; this client reads, but gets none of them.
      for (let i = 0; registry.get(holderId) !== undefined; i++) {
        if (i > (2 * BOUND) / EVENT.length) throw new Error('the hold was never bounded');
        await broadcast.publish('rooms/h', { event: 'tick', data: EVENT });
        maxBuffered = Math.max(maxBuffered, registry.get(holderId)?.bufferedBytes ?? 0);
      }
      expect(maxBuffered).toBeLessThanOrEqual(BOUND);
      expect(maxBuffered).toBeGreaterThan(BOUND - 2 * EVENT.length);
      // Dropped before its headers: no stream, and none of the held events, ever reached it.
      expect(await outcome).toMatchObject({ message: 'socket hang up' });
      expect(registry.stats().disconnects).toEqual({});
      // The replay answering late, for a connection that is gone, sends nothing anywhere.
      backend.release();
      await broadcast.publish('rooms/h', { data: 'after' });
      expect(registry.count()).toBe(0);
    });

    if (policy === 'disconnect') return;

    it('delivers what the policy kept once the client reads again', async () => {
      await startWithStalledClient({ maxBufferedBytes: BOUND });
      for (let i = 0; i < 200; i++) {
        await broadcast.publish('rooms/shared', {
          event: i % 2 ? 'price' : 'volume',
          data: `${i}:${'p'.repeat(1000)}`,
        });
      }
      await broadcast.publish('rooms/shared', { event: 'end', data: '' });
      const text = await readUntil(stalled as net.Socket, 'event: end\n');
      const kept = [...text.matchAll(/event: (price|volume)\nid: \S+\ndata: (\d+):/g)].map((m) =>
        Number(m[2]),
      );
      // Events written before the socket reported backpressure were already in its buffer and
      // arrive first, in order; the policy applied to those queued after.
      const handed = kept.findIndex((n, i) => n !== i);
      expect(handed).toBeGreaterThan(0);
      const queued = kept.slice(handed);
      if (policy === 'conflate') {
        // Only the latest queued event of each type (volume: even, price: odd) survived.
        expect(queued).toEqual([198, 199]);
      } else {
        // The oldest queued events were dropped: the newest remain, in order, without holes.
        expect(queued.at(-1)).toBe(199);
        expect(queued).toEqual(
          Array.from({ length: queued.length }, (_, i) => 200 - queued.length + i),
        );
        expect(queued.length).toBeGreaterThan(2);
      }
      expect(registry.get(slowId)?.droppedEvents).toBe(200 - kept.length);
    });
  });
});

/** Resumes a paused socket and reads until `marker` arrives. */
function readUntil(socket: net.Socket, marker: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes(marker)) resolve(text);
    });
    socket.resume();
  });
}
