import { afterEach, describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ConnectionRegistry } from '../lib/index.js';
import { ChannelHub } from '../lib/connection/channel-hub.js';
import { ConnectionClock } from '../lib/connection/connection-clock.service.js';
import { lifecycleModule, StreamCounter } from './fixtures/lifecycle.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { openRawStream } from './support/sse-clients.js';
import { waitUntil } from './support/wait.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CYCLES = 10_000;
const PARALLEL = 100;
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

  async function cycles(count: number): Promise<void> {
    for (let done = 0; done < count; done += PARALLEL) {
      const streams = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) =>
          openRawStream(`${running.url}/life/forever/${(done + i) % 50}`),
        ),
      );
      await Promise.all(streams.map((s) => s.waitFor(() => s.raw().length > 0)));
      for (const s of streams) s.close();
      await Promise.all(streams.map((s) => s.ended));
    }
  }

  it(`returns heap and registry to baseline after ${CYCLES} connect/disconnect cycles`, async () => {
    running = await startApp(lifecycleModule({ heartbeatIntervalMs: 1000 }), adapter);
    const registry = running.app.get(ConnectionRegistry);
    // Warm up: JIT, pools and lazily created structures reach their steady size first.
    await cycles(1_000);
    await waitUntil(
      () => registry.count() === 0,
      () => `${registry.count()} connections`,
    );
    const baseline = await settledHeap();
    await cycles(CYCLES);
    await waitUntil(
      () => registry.count() === 0,
      () => `${registry.count()} connections`,
    );
    const after = await settledHeap();
    expect(running.app.get(StreamCounter).active).toBe(0);
    expect(running.app.get(ChannelHub).memberCounts().size).toBe(0);
    expect(running.app.get(ConnectionClock).isRunning).toBe(false);
    expect(after - baseline).toBeLessThan(HEAP_SLACK);
  });
});
