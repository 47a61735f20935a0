import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { Redis } from 'ioredis';
import {
  BroadcastService,
  ConnectionRegistry,
  MemoryBackend,
  SseModule,
  SseChannelFinishedError,
  SseUnknownEventIdError,
  type SseBackend,
} from '../lib/index.js';
import { RedisBackend } from '../lib/redis/index.js';
import {
  HubController,
  hubModule,
  Jobs,
  OpeningGate,
  UserFromHeaderGuard,
} from './fixtures/hub.fixture.js';
import { startApp, type RunningApp } from './support/app.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { startRedisTarget, TOPOLOGIES, type RedisTarget } from './support/redis-target.js';
import { redisSuite } from './support/redis-suite.js';
import { opened, openRawStream, type RawStream } from './support/sse-clients.js';
import { waitUntil } from './support/wait.js';

const datas = (stream: RawStream) => stream.events.map((e) => e.data);

/** The semantics the in-memory backend has, checked on the Redis backend in one process. */
describe.each(TOPOLOGIES)('Redis backend semantics (%s)', (topology) => {
  let redis: RedisTarget;
  let running: RunningApp;
  let broadcast: BroadcastService;
  let prefix = 0;

  beforeAll(async () => {
    redis = await startRedisTarget(topology);
  }, 60_000);
  afterAll(() => redis?.dispose());
  afterEach(() => running?.close());

  const start = async (options: Parameters<typeof hubModule>[0] = {}) => {
    // A fresh key prefix per test: the tests share one Redis.
    const backend = new RedisBackend({ ...redis.backendOptions, keyPrefix: `t${++prefix}:` });
    running = await startApp(hubModule({ ...options, backend }), 'express');
    broadcast = running.app.get(BroadcastService);
  };

  it('assigns Redis stream ids and returns bounded history, with the data as published', async () => {
    await start({ history: { size: 3 } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await broadcast.publish('rooms/h', { event: 'n', data: i })).id);
    expect(ids.every((id) => /^\d+-\d+$/.test(id))).toBe(true);
    ids.push((await broadcast.publish('rooms/h', { data: 'five' })).id);
    expect((await broadcast.history('rooms/h')).map((e) => [e.id, e.event, e.data])).toEqual([
      [ids[3], 'n', 3],
      [ids[4], 'n', 4],
      [ids[5], undefined, 'five'],
    ]);
    expect((await broadcast.history('rooms/h', { afterId: ids[3] })).map((e) => e.data)).toEqual([
      4,
      'five',
    ]);
    expect(await broadcast.history('rooms/h', { afterId: ids[5] })).toEqual([]);
    await expect(broadcast.history('rooms/h', { afterId: ids[0] })).rejects.toThrow(
      SseUnknownEventIdError,
    );
    await expect(broadcast.history('rooms/h', { afterId: ids[0] })).rejects.toThrow(/evicted/);
    await expect(broadcast.history('rooms/h', { afterId: 'nope' })).rejects.toThrow(/unknown/);
  });

  it('replays after an id, and sends a reset carrying the current position for an evicted one', async () => {
    await start({ history: { size: 3 } });
    const { id: first } = await broadcast.publish('rooms/r', { data: 'a' });
    const { id: second } = await broadcast.publish('rooms/r', { data: 'b' });
    await broadcast.publish('rooms/r', { data: 'c' });
    const resumed = await openRawStream(`${running.url}/hub/rooms/r`, {
      'last-event-id': second,
    });
    await resumed.waitFor((events) => events.length === 1);
    expect(datas(resumed)).toEqual(['c']);
    resumed.close();
    for (let i = 0; i < 3; i++) await broadcast.publish('rooms/r', { data: `more ${i}` });
    const { id: newest } = (await broadcast.history('rooms/r', { limit: 1 }))[0] as { id: string };
    const evicted = await openRawStream(`${running.url}/hub/rooms/r`, { 'last-event-id': first });
    await evicted.waitFor((events) => events.length === 1);
    expect(evicted.events[0]).toEqual({
      event: 'sse:reset',
      data: '{"reason":"evicted"}',
      id: newest,
    });
    evicted.close();
  });

  it('refuses a publish to a finished channel in the same script, storing nothing', async () => {
    await start();
    await broadcast.publish('jobs/r', { data: 'step' });
    await broadcast.finish('jobs/r', { event: 'done', data: 'ok' });
    await expect(broadcast.publish('jobs/r', { data: 'late' })).rejects.toThrow(
      SseChannelFinishedError,
    );
    expect((await broadcast.history('jobs/r')).map((e) => e.data)).toEqual(['step', 'ok']);
  });

  it('replays the last N on first connect, and several channels each from where the client was', async () => {
    await start();
    for (let i = 1; i <= 5; i++) await broadcast.publish('rooms/p', { data: i });
    const recent = await openRawStream(`${running.url}/hub/recent/p`);
    await recent.waitFor((events) => events.length === 3);
    expect(datas(recent)).toEqual(['3', '4', '5']);
    recent.close();
    const first = await openRawStream(`${running.url}/hub/both`);
    await opened(first);
    await broadcast.publish('a', { data: 'a1' });
    await first.waitFor((events) => events.length === 1);
    first.close();
    await broadcast.publish('b', { data: 'b1' });
    await broadcast.publish('a', { data: 'a2' });
    const both = await openRawStream(`${running.url}/hub/both`, {
      'last-event-id': first.lastEventId() as string,
    });
    await both.waitFor((events) => events.length === 2);
    // Each channel from where the client was in it. Across channels, events are in Redis's clock
    // order, which the same millisecond leaves undecided.
    expect(datas(both).sort()).toEqual(['a2', 'b1']);
    both.close();
  });

  it('gives each of concurrent publishes to two channels its own count, though their ids coincide', async () => {
    await start();
    const streams = await Promise.all(
      ['m1', 'm2', 'm2'].map((room) => openRawStream(`${running.url}/hub/rooms/${room}`)),
    );
    await Promise.all(streams.map((stream) => opened(stream)));
    const ids = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all([
        broadcast.publish('rooms/m1', { data: round }),
        broadcast.publish('rooms/m2', { data: round }),
      ]);
      expect(results.map((result) => result.delivered)).toEqual([1, 2]);
      if (results[0]?.id === results[1]?.id) ids.add(results[0]?.id as string);
    }
    // Stream ids are per channel: publishes in one millisecond share one.
    expect(ids.size).toBeGreaterThan(0);
    for (const stream of streams) stream.close();
  });

  it('reports local deliveries, honours exclude, and sends to a local connection directly', async () => {
    await start();
    const sender = await openRawStream(`${running.url}/hub/greet/x`);
    const other = await openRawStream(`${running.url}/hub/greet/x`);
    const [welcome] = await sender.waitFor((events) => events.length === 1);
    await other.waitFor((events) => events.length === 1);
    const senderId = JSON.parse(welcome?.data ?? '{}').connectionId as string;
    expect(await broadcast.publish('rooms/x', { data: 'all' })).toMatchObject({ delivered: 2 });
    expect(
      await broadcast.publish('rooms/x', { data: 'others' }, { exclude: [senderId] }),
    ).toMatchObject({
      delivered: 1,
    });
    expect(await broadcast.sendTo(senderId, { data: 'just you' })).toEqual({ delivered: 1 });
    await sender.waitFor((events) => events.length === 3);
    await other.waitFor((events) => events.length === 3);
    expect(datas(sender).slice(1)).toEqual(['all', 'just you']);
    expect(datas(other).slice(1)).toEqual(['all', 'others']);
    expect((await running.app.get(ConnectionRegistry).clusterStats()).connections).toBe(2);
    sender.close();
    other.close();
  });

  it('expires a channel history after streamTtlMs and trims it by history.maxAgeMs', async () => {
    const backend = new RedisBackend({
      ...redis.backendOptions,
      keyPrefix: `t${++prefix}:`,
      streamTtlMs: 60_000,
    });
    running = await startApp(
      hubModule({ backend, history: { size: 100, maxAgeMs: 1_000 } }),
      'express',
    );
    broadcast = running.app.get(BroadcastService);
    await broadcast.publish('rooms/age', { data: 'old' });
    const key = `t${prefix}:{rooms/age}:h`;
    const ttl = Number(redis.cliOn(key, 'PTTL', key));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await broadcast.publish('rooms/age', { data: 'new' });
    expect((await broadcast.history('rooms/age')).map((e) => e.data)).toEqual(['new']);
  });

  it('finishes a channel without a final event', async () => {
    await start();
    const job = await openRawStream(`${running.url}/hub/jobs/5`);
    await opened(job);
    expect(await broadcast.finish('jobs/5')).toEqual({ ended: 1 });
    await job.ended;
    expect((await openRawStream(`${running.url}/hub/jobs/5`)).status).toBe(204);
  });

  it('makes one round trip per publish: one EVALSHA and no other command', async () => {
    // No presence report may fall inside the measured window.
    const backend = new RedisBackend({
      ...redis.backendOptions,
      keyPrefix: `t${++prefix}:`,
      presenceIntervalMs: 300_000,
    });
    running = await startApp(hubModule({ backend }), 'express');
    broadcast = running.app.get(BroadcastService);
    const listener = await openRawStream(`${running.url}/hub/rooms/trips`);
    await opened(listener);
    // The first publish after Redis starts also loads the script (EVALSHA, then EVAL).
    await broadcast.publish('rooms/trips', { data: 'warm-up' });
    // The node serving the channel: on a cluster, its keys and shard channel are there alone.
    const fence = new Redis(redis.urlOf(`t${prefix}:{rooms/trips}:h`));
    // monitor() opens a connection of its own, in monitor mode.
    const monitor = await fence.monitor();
    const commands: Array<{ command: string; fromScript: boolean }> = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) =>
      commands.push({ command: (args[0] ?? '').toLowerCase(), fromScript: source === 'lua' }),
    );
    try {
      const N = 60;
      for (let i = 0; i < N; i += 10) {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, j) => broadcast.publish('rooms/trips', { data: i + j })),
        );
        expect(results.every((result) => result.delivered === 1)).toBe(true);
      }
      // MONITOR reports commands in execution order: once the fence shows, every publish has.
      await fence.echo('fence');
      await waitUntil(
        () => commands.some((c) => c.command === 'echo'),
        () => JSON.stringify(commands.slice(-5)),
      );
      const issued = commands.filter((c) => !c.fromScript && c.command !== 'echo');
      expect(issued.map((c) => c.command)).toEqual(Array.from({ length: N }, () => 'evalsha'));
      const inScript: Record<string, number> = {};
      for (const { command } of commands.filter((c) => c.fromScript))
        inScript[command] = (inScript[command] ?? 0) + 1;
      // The finished check, the entry before it (which every entry records), the entry, its
      // ttl, the channel's shard channel: no key that every publish writes.
      expect(inScript).toEqual({
        exists: N,
        xrevrange: N,
        xadd: N,
        pexpire: N,
        spublish: N,
      });
      await listener.waitFor((events) => events.length === N + 1);
    } finally {
      listener.close();
      monitor.disconnect();
      fence.disconnect();
    }
  });

  it('has no gap and no duplicate across reconnects while 10,000 events are published', async () => {
    await start({ history: { size: 10_000 } });
    const TOTAL = 10_000;
    const received: number[] = [];
    let stream = await openRawStream(`${running.url}/hub/rooms/flood`);
    await opened(stream);
    const client = (async () => {
      for (;;) {
        await stream.waitFor(
          (events) => events.length >= 400 || received.length + events.length >= TOTAL,
          30_000,
        );
        stream.close();
        for (const event of stream.events) received.push(Number(event.data));
        if (received.length >= TOTAL) return;
        stream = await openRawStream(`${running.url}/hub/rooms/flood`, {
          'last-event-id': stream.events.at(-1)?.id as string,
        });
      }
    })();
    // Publishes overlap (several in flight), like concurrent requests in an app.
    for (let i = 0; i < TOTAL; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) => broadcast.publish('rooms/flood', { data: i + j })),
      );
    }
    await client;
    expect(new Set(received).size).toBe(TOTAL);
    expect(received).toEqual(
      (await broadcast.history('rooms/flood', { limit: TOTAL })).map((e) => Number(e.data)),
    );
  });
});

/**
 * A final event joins the channel's history, which keeps its configured size: the same on both
 * backends (the Redis one once trimmed every finished channel to that one event).
 */
describe.each(['memory', 'redis'] as const)('history after finish() on the %s backend', (kind) => {
  let redis: RedisServer | undefined;
  let running: RunningApp | undefined;

  beforeAll(async () => {
    if (kind === 'redis') redis = await startRedis();
  });
  afterAll(() => redis?.dispose());
  afterEach(() => running?.close());

  const start = async () => {
    const backend: SseBackend =
      kind === 'redis' ? new RedisBackend({ url: redis?.url }) : new MemoryBackend();
    running = await startApp(
      hubModule({
        backend,
        history: { size: 3 },
        channels: [{ pattern: 'jobs/long', historySize: 10 }],
      }),
      'express',
    );
    return running.app.get(BroadcastService);
  };
  const datas = async (broadcast: BroadcastService, channel: string) =>
    (await broadcast.history(channel)).map((entry) => entry.data);

  it('keeps the final event within the history size, with the events before it', async () => {
    const broadcast = await start();
    for (const step of ['a', 'b', 'c', 'd']) await broadcast.publish('jobs/short', { data: step });
    for (const step of ['x', 'y']) await broadcast.publish('jobs/long', { data: step });
    await broadcast.finish('jobs/short', { event: 'done', data: 'end' });
    await broadcast.finish('jobs/long', { event: 'done', data: 'end' });
    expect(await datas(broadcast, 'jobs/short')).toEqual(['c', 'd', 'end']);
    expect(await datas(broadcast, 'jobs/long')).toEqual(['x', 'y', 'end']);
  });

  it('keeps no final event for a channel that kept no history', async () => {
    const broadcast = await start();
    await broadcast.finish('jobs/never', { event: 'done', data: 'end' });
    expect(await datas(broadcast, 'jobs/never')).toEqual([]);
  });
});

describe('RedisBackend configuration', () => {
  const suite = redisSuite();
  const { open } = suite;
  const start = (module: Parameters<typeof suite.startApp>[0]) => suite.startApp(module);

  it('keeps apps with different key prefixes on one Redis apart: publishes, history, counts', async () => {
    // Only these two apps' keys, whatever ran before.
    suite.redis.cli('FLUSHALL');
    const one = await start(
      hubModule({ backend: new RedisBackend({ url: suite.redis.url, keyPrefix: 'one:' }) }),
    );
    const two = await start(
      hubModule({ backend: new RedisBackend({ url: suite.redis.url, keyPrefix: 'two:' }) }),
    );
    const onOne = await open(one, '/hub/rooms/shared');
    const onTwo = await open(two, '/hub/rooms/shared');
    await one.app.get(BroadcastService).publish('rooms/shared', { data: 'for one' });
    await onOne.waitFor((events) => events.length === 1);
    // Had two listened to one's bus, that event would have come first on its connection.
    await two.app.get(BroadcastService).publish('rooms/shared', { data: 'for two' });
    await onTwo.waitFor((events) => events.length === 1);
    expect(datas(onOne)).toEqual(['for one']);
    expect(datas(onTwo)).toEqual(['for two']);
    // Every key and pub/sub channel either app uses is under its prefix.
    const keys = suite.redis.cli('--scan').trim().split('\n');
    const channels = suite.redis.cli('PUBSUB', 'CHANNELS').trim().split('\n');
    expect(keys.length).toBeGreaterThan(0);
    expect(channels.length).toBeGreaterThan(0);
    expect([...keys, ...channels].filter((name) => !/^(one|two):/.test(name))).toEqual([]);
    for (const [running, only] of [
      [one, 'for one'],
      [two, 'for two'],
    ] as const) {
      const history = await running.app.get(BroadcastService).history('rooms/shared');
      expect(history.map((entry) => entry.data)).toEqual([only]);
      expect(await running.app.get(ConnectionRegistry).clusterStats()).toMatchObject({
        instances: 1,
        connections: 1,
        channels: { 'rooms/shared': 1 },
      });
    }
  });

  it('passes the redis options through to ioredis, under what the URL says', async () => {
    const backend = new RedisBackend({
      url: suite.redis.url,
      keyPrefix: 'pass:',
      redis: { connectionName: 'sse-pass', db: 3 },
    });
    const running = await start(hubModule({ backend }));
    await running.app.get(BroadcastService).publish('rooms/pass', { data: 'stored' });
    const named = suite.redis
      .cli('CLIENT', 'LIST')
      .split('\n')
      .filter((line) => line.includes(' name=sse-pass '));
    // The command connection and the subscriber.
    expect(named).toHaveLength(2);
    expect(named.every((line) => line.includes(' db=3 '))).toBe(true);
    expect(suite.redis.cli('-n', '3', 'EXISTS', 'pass:{rooms/pass}:h').trim()).toBe('1');
    // A database in the URL wins, as ioredis has it.
    const url = new RedisBackend({
      url: `${suite.redis.url}/5`,
      keyPrefix: 'url:',
      redis: { db: 3 },
    });
    const fromUrl = await start(hubModule({ backend: url }));
    await fromUrl.app.get(BroadcastService).publish('rooms/pass', { data: 'stored' });
    expect(suite.redis.cli('-n', '5', 'EXISTS', 'url:{rooms/pass}:h').trim()).toBe('1');
    expect(suite.redis.cli('-n', '3', 'EXISTS', 'url:{rooms/pass}:h').trim()).toBe('0');
  });

  it('runs from SseModule.forRootAsync() with a RedisBackend its factory builds', async () => {
    const REDIS_URL = 'REDIS_URL';
    @Module({
      providers: [{ provide: REDIS_URL, useValue: suite.redis.url }],
      exports: [REDIS_URL],
    })
    class ConfigModule {}
    @Module({
      imports: [
        SseModule.forRootAsync({
          imports: [ConfigModule],
          inject: [REDIS_URL],
          useFactory: async (url: string) => ({
            backend: new RedisBackend({ url, keyPrefix: 'async:' }),
          }),
        }),
      ],
      controllers: [HubController],
      providers: [Jobs, OpeningGate, UserFromHeaderGuard],
    })
    class AsyncAppModule {}
    const running = await start(AsyncAppModule);
    const stream = await open(running, '/hub/rooms/async');
    const { id } = await running.app
      .get(BroadcastService)
      .publish('rooms/async', { data: 'via factory' });
    const [event] = await stream.waitFor((events) => events.length === 1);
    expect(event).toMatchObject({ id, data: 'via factory' });
    // A Redis stream id, and the event stored in Redis under the factory's prefix.
    expect(suite.redis.cli('XRANGE', 'async:{rooms/async}:h', id, id)).toContain('via factory');
  });
});
