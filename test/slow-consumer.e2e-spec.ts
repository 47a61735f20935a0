import { afterEach, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { BroadcastService, ConnectionRegistry, type SlowConsumerPolicy } from '../lib/index.js';
import { hubModule } from './fixtures/hub.fixture.js';
import { startApp, type RunningApp } from './support/app.js';
import { startReaders } from './support/readers.js';
import { waitUntil } from './support/wait.js';

const READERS = 1_000;
const BOUND = 64 * 1024;
const EVENT = 'x'.repeat(1024);
/** Events on the shared channel: several times the bound, little enough for the readers. */
const EVENTS = 400;

/** A client that sends its request and then never reads a byte. */
function stalledClient(url: string): Promise<net.Socket> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.on('error', () => undefined);
  });
}

/**
 * Fills the kernel's buffers for the stalled client (several MiB on loopback) through a channel
 * only it joins, until the server itself holds bytes for it.
 */
async function backUp(
  broadcast: BroadcastService,
  registry: ConnectionRegistry,
  id: string,
): Promise<void> {
  // One event at a time, letting the socket flush in between, so the connection only ever holds
  // a few KiB of its own: far below the bound, whatever the policy. Distinct keys keep
  // conflation out of it.
  for (let i = 0; (registry.get(id)?.bufferedBytes ?? 0) === 0; i++) {
    if (i > 5_000) throw new Error('the stalled client never backed up');
    await broadcast.publish(
      'flood',
      { event: 'flood', data: 'f'.repeat(4096) },
      { conflateKey: `flood-${i}` },
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(registry.get(id)?.state).toBe('open');
}

describe.each<SlowConsumerPolicy>(['disconnect', 'drop-oldest', 'conflate'])(
  'slow consumer, policy %s',
  (policy) => {
    let running: RunningApp;
    let registry: ConnectionRegistry;
    let broadcast: BroadcastService;
    let readers: ChildProcess | undefined;
    let stalled: net.Socket | undefined;
    let slowId: string;

    const startWithStalledClient = async () => {
      running = await startApp(
        hubModule({ maxBufferedBytes: BOUND, slowConsumer: policy }),
        'express',
      );
      registry = running.app.get(ConnectionRegistry);
      broadcast = running.app.get(BroadcastService);
      stalled = await stalledClient(`${running.url}/hub/pair`);
      await waitUntil(
        () => registry.count({ state: 'open' }) === 1,
        () => 'stalled client not connected',
      );
      slowId = registry.list()[0]?.id as string;
      await backUp(broadcast, registry, slowId);
    };

    afterEach(async () => {
      readers?.kill();
      stalled?.destroy();
      await running?.close();
    });

    it(`bounds what waits for a client that never reads, while ${READERS} others receive everything`, async () => {
      await startWithStalledClient();
      const crowd = startReaders(`${running.url}/hub/rooms/shared`, READERS);
      readers = crowd.child;
      await crowd.ready;
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
      const done = await crowd.done;

      const frame = Buffer.byteLength(`event: tick\nid: 0000000000000-000\ndata: ${EVENT}\n\n`);
      // Every reader got every event: the stalled client held nobody back.
      expect(done.minBytes).toBeGreaterThan(EVENTS * frame);
      // What waited for the stalled client never exceeded the bound (plus the frame in flight).
      expect(maxBuffered).toBeLessThanOrEqual(BOUND + 4200);
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

    if (policy === 'disconnect') return;

    it('delivers what the policy kept once the client reads again', async () => {
      await startWithStalledClient();
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
  },
);

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
