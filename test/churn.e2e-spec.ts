import { afterEach, describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BroadcastService, ConnectionRegistry } from '../lib/index.js';
import { ChannelHub } from '../lib/connection/channel-hub.js';
import { ConnectionClock } from '../lib/connection/connection-clock.service.js';
import { ConnectionPool } from '../lib/connection/connection-pool.js';
import { lifecycleModule, StreamCounter } from './fixtures/lifecycle.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { openRawStream } from './support/sse-clients.js';
import { waitUntil } from './support/wait.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CYCLES = 10_000;
const PARALLEL = 100;
const CHANNELS = 50;
const USERS = 10;
/** Small, so the warm-up fills every channel's ring and history is at its bound before measuring. */
const HISTORY_SIZE = 5;
/** Allowed heap growth after 10,000 cycles: a leak of 250 bytes per connection exceeds it. */
const HEAP_SLACK = 2 * 1024 * 1024;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

describe.each(ADAPTERS)('connection churn on %s', (adapter) => {
  let running: RunningApp;
  afterEach(() => running?.close());

  /**
   * Batches of streams that each belong to a user, half of them resuming with the id of their
   * channel's last event (the replay path); every batch publishes to every channel, which keeps
   * history at its bound, and sends to one user, and every stream waits for its event.
   */
  async function cycles(count: number, lastIds: Map<string, string>): Promise<void> {
    const broadcast = running.app.get(BroadcastService);
    for (let done = 0; done < count; done += PARALLEL) {
      const batch = `batch-${done}`;
      const streams = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) => {
          const channel = `forever/${(done + i) % CHANNELS}`;
          const lastId = lastIds.get(channel);
          return openRawStream(`${running.url}/life/${channel}`, {
            'x-user': `user-${(done + i) % USERS}`,
            ...(i % 2 === 1 && lastId !== undefined && { 'last-event-id': lastId }),
          });
        }),
      );
      await Promise.all(streams.map((s) => s.waitFor(() => s.raw().length > 0)));
      for (let c = 0; c < CHANNELS; c++) {
        const { id } = await broadcast.publish(`forever/${c}`, { data: batch });
        lastIds.set(`forever/${c}`, id);
      }
      const { delivered } = await broadcast.sendToUser(`user-${done % USERS}`, {
        data: 'to one user',
      });
      expect(delivered).toBe(PARALLEL / USERS);
      await Promise.all(
        streams.map((s) => s.waitFor((events) => events.some((e) => e.data === batch))),
      );
      for (const s of streams) s.close();
      await Promise.all(streams.map((s) => s.ended));
    }
  }

  it(`returns heap and registry to baseline after ${CYCLES} connect/disconnect cycles with users, publishes and replays`, async () => {
    running = await startApp(
      lifecycleModule({
        heartbeatIntervalMs: 1000,
        history: { size: HISTORY_SIZE },
        userId: (request) => request.headers['x-user'] as string | undefined,
        maxConnectionsPerUser: PARALLEL,
      }),
      adapter,
    );
    const registry = running.app.get(ConnectionRegistry);
    const pool = running.app.get(ConnectionPool);
    const lastIds = new Map<string, string>();
    const gone = () => registry.count() === 0 && registry.count({ state: 'closing' }) === 0;
    // Warm up: JIT, pools, history rings and lazily created structures reach their steady size.
    await cycles(1_000, lastIds);
    await waitUntil(gone, () => `${registry.count()} connections`);
    const baseline = await settledHeap();
    await cycles(CYCLES, lastIds);
    await waitUntil(gone, () => `${registry.count()} connections`);
    const after = await settledHeap();
    expect(running.app.get(StreamCounter).active).toBe(0);
    expect(running.app.get(ChannelHub).memberCounts().size).toBe(0);
    expect(running.app.get(ConnectionClock).isRunning).toBe(false);
    expect([...pool.userIds()]).toEqual([]);
    expect(registry.stats()).toMatchObject({ connections: 0, channels: {}, users: {} });
    expect(await running.app.get(BroadcastService).history('forever/0')).toHaveLength(HISTORY_SIZE);
    expect(after - baseline).toBeLessThan(HEAP_SLACK);
    // 11,000 streams opened and closed: about 20 s on a quiet 2-core machine, more on a busy one.
  }, 120_000);
});
