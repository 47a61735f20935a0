import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { EventSource } from 'eventsource';
import type { Server } from 'node:http';
import { connect, type SseStreamState } from '../lib/client/index.js';
import { BroadcastService, type SseModuleOptions } from '../lib/index.js';
import { RedisBackend } from '../lib/redis/index.js';
import { recordStream } from '../lib/testing/index.js';
import { hubModule } from './fixtures/hub.fixture.js';
import { startApp, type RunningApp } from './support/app.js';
import { BrowserPage } from './support/browser.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { waitUntil } from './support/wait.js';

/**
 * Every stream carries its position from its first bytes, so a client that has received no
 * event yet still resumes where it was: a stream ended by maxDurationMs before its first
 * event misses nothing published before the client is back.
 */
const BACKENDS = ['memory', 'redis'] as const;

/** Streams end after a second (checked every 100 ms); clients come back a second later. */
const QUIET_STREAMS: SseModuleOptions = {
  maxDurationMs: 1_000,
  heartbeatIntervalMs: 400,
  retryMs: 1_000,
};

describe.each(BACKENDS)('a stream that ends before its first event, on the %s backend', (kind) => {
  let redis: RedisServer | undefined;
  let running: RunningApp | undefined;
  let browser: BrowserPage | undefined;
  let prefix = 0;
  beforeAll(async () => {
    if (kind === 'redis') redis = await startRedis();
  });
  afterAll(() => redis?.dispose());
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
    (running?.app.getHttpServer() as Server | undefined)?.closeAllConnections();
    await running?.close();
    running = undefined;
  });

  const start = async (options: SseModuleOptions = {}) => {
    const backend =
      redis === undefined
        ? undefined
        : new RedisBackend({ url: redis.url, keyPrefix: `position${++prefix}:` });
    running = await startApp(hubModule({ ...QUIET_STREAMS, ...options, backend }), 'express');
    return { url: running.url, broadcast: running.app.get(BroadcastService) };
  };

  it('gets what was published before its reconnect, with the eventsource package', async () => {
    const { url, broadcast } = await start();
    const source = new EventSource(`${url}/hub/rooms/quiet`);
    try {
      const received: string[] = [];
      source.addEventListener('message', (event) => received.push(String(event.data)));
      let ends = 0;
      source.addEventListener('error', () => ends++);
      await waitUntil(
        () => ends === 1,
        () => 'the stream never ended',
        5_000,
      );
      // The client is away until it reconnects, a second from now.
      await broadcast.publish('rooms/quiet', { data: 'while away' });
      await waitUntil(
        () => received.length === 1,
        () => `received ${received}`,
        5_000,
      );
      await broadcast.publish('rooms/quiet', { data: 'after' });
      await waitUntil(
        () => received.length === 2,
        () => `received ${received}`,
      );
      expect(received).toEqual(['while away', 'after']);
    } finally {
      source.close();
    }
  });

  it("gets what was published before its reconnect, with this library's client", async () => {
    const { url, broadcast } = await start();
    const states: SseStreamState[] = [];
    const client = connect(`${url}/hub/rooms/quiet`, { onStateChange: (s) => states.push(s) });
    try {
      const recorded = recordStream(client);
      await client.opened();
      await waitUntil(
        () => states.includes('connecting'),
        () => `states ${states}`,
        5_000,
      );
      await broadcast.publish('rooms/quiet', { data: 'while away' });
      await recorded.waitForCount(1, undefined, { timeoutMs: 5_000 });
      await broadcast.publish('rooms/quiet', { data: 'after' });
      const messages = await recorded.waitForCount(2);
      expect(messages.map((m) => m.data)).toEqual(['while away', 'after']);
    } finally {
      client.close();
    }
  });

  it("gets what was published before its reconnect, with Chromium's EventSource", async () => {
    const { url, broadcast } = await start();
    browser = await BrowserPage.open();
    const page = browser.page;
    // A page of the app's own origin: EventSource needs no CORS there.
    await page.goto(`${url}/`);
    await page.evaluate((path) => {
      const state = { received: [] as string[], ends: 0 };
      const source = new EventSource(path);
      source.addEventListener('message', (event) => state.received.push(String(event.data)));
      source.addEventListener('error', () => state.ends++);
      Object.assign(globalThis, { quiet: state });
    }, '/hub/rooms/quiet');
    const seen = () =>
      page.evaluate(
        () => (globalThis as unknown as { quiet: { received: string[]; ends: number } }).quiet,
      );
    await page.waitForFunction(
      () => (globalThis as unknown as { quiet: { ends: number } }).quiet.ends === 1,
    );
    await broadcast.publish('rooms/quiet', { data: 'while away' });
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { quiet: { received: string[] } }).quiet.received.length === 1,
    );
    await broadcast.publish('rooms/quiet', { data: 'after' });
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { quiet: { received: string[] } }).quiet.received.length === 2,
    );
    expect((await seen()).received).toEqual(['while away', 'after']);
  });

  it('misses nothing and gets nothing twice on several channels, across reconnects under load', async () => {
    const { url, broadcast } = await start({ retryMs: 30 });
    // No dedupe window: a duplicate the server sent would show.
    const client = connect(`${url}/hub/both`, { dedupeWindow: 0 });
    try {
      const recorded = recordStream(client, { historyLimit: 10_000 });
      await client.opened();
      const published: string[] = [];
      // About three seconds of publishing: the stream ends and comes back about three times,
      // with publishes landing while it is away and while it replays.
      const until = Date.now() + 3_000;
      for (let n = 0; Date.now() < until; n++) {
        const channel = n % 3 === 0 ? 'b' : 'a';
        await broadcast.publish(channel, { data: `${channel}${n}` });
        published.push(`${channel}${n}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const messages = await recorded.waitForCount(published.length, undefined, {
        timeoutMs: 10_000,
      });
      expect(messages.map((m) => m.data)).toEqual(published);
    } finally {
      client.close();
    }
  });
});
