import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import {
  BroadcastService,
  SseModule,
  SseShutdownError,
  type PublishResult,
  type SseHistoryEntry,
  type SseHealth,
  type SseRegistryStats,
} from '../lib/index.js';
import { RedisBackend } from '../lib/redis/index.js';
import { hubModule } from './fixtures/hub.fixture.js';
import { CapturedLogs, startApp } from './support/app.js';
import type { Instance } from './support/instances.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { startSentinel, type RedisSentinel } from './support/redis-sentinel.js';
import { TOPOLOGIES } from './support/redis-target.js';
import { redisSuite } from './support/redis-suite.js';
import { opened, openRawStream, type RawStream } from './support/sse-clients.js';
import { waitUntil } from './support/wait.js';

const datas = (stream: RawStream) => stream.events.map((e) => e.data);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const publishOnce = (instance: Instance, channel: string, data: string) =>
  instance.post<PublishResult & { name?: string; message?: string }>('/control/publish', {
    channel,
    event: { data },
  });
/** Waits for `promise`, failing with what it waited for after `timeoutMs`. */
const within = <T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${timeoutMs} ms: ${what}`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};
/** Waits until the instance has written `text` (its output pipe may lag behind its sockets). */
const logged = (instance: Instance, text: string) =>
  waitUntil(
    () => instance.output().includes(text),
    () => `no "${text}" in:\n${instance.output()}`,
    10_000,
  );
/** Publishes once Redis answers again (the client reconnects with a short backoff). */
const publishWhenBack = async (instance: Instance, channel: string, data: string) => {
  for (let attempt = 0; attempt < 100; attempt++) {
    const result = await publishOnce(instance, channel, data);
    if (result.status === 201) return result.body;
    await sleep(100);
  }
  throw new Error('Redis never came back');
};

describe('Redis outages', () => {
  const suite = redisSuite({ persist: true });
  const { open } = suite;
  const publish = publishOnce;
  const startPair = () =>
    suite.startInstances([{ ADAPTER: 'express' }, { ADAPTER: 'fastify' }]) as Promise<
      [Instance, Instance]
    >;

  it('fails publishes clearly while Redis is down, keeps streams alive, and recovers after a restart', async () => {
    const [a, b] = await startPair();
    const stays = await open(b, '/hub/rooms/o');
    const leaves = await open(b, '/hub/rooms/o');
    await publishWhenBack(a, 'rooms/o', 'before');
    await stays.waitFor((events) => events.length === 1);
    await leaves.waitFor((events) => events.length === 1);
    leaves.close();

    await suite.redis.stop();
    const failed = await publish(a, 'rooms/o', 'lost');
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({
      name: 'SseBackendUnavailableError',
      message: expect.stringContaining(
        'The SSE backend is unavailable: publish to "rooms/o" was not carried out',
      ),
    });
    // The open stream stays up on its heartbeats while Redis is away.
    const beatsBefore = stays.chunks.filter((c) => c.text === ':\n\n').length;
    await sleep(800);
    expect(stays.chunks.filter((c) => c.text === ':\n\n').length).toBeGreaterThan(beatsBefore + 1);
    expect(stays.response.destroyed).toBe(false);
    // A stream opening now does not wait for Redis to confirm a subscription: it opens at once,
    // without history, and ends for a resync once Redis is back, since where its channel was
    // is unknown.
    const during = await within(open(b, '/hub/rooms/during'), 3_000, 'a stream to open');
    await within(opened(during), 3_000, 'the stream opened during the outage to start');

    await suite.redis.start();
    await within(during.ended, 15_000, 'the stream opened during the outage to end');
    await publishWhenBack(a, 'rooms/o', 'after');
    // The instance resubscribed: the connected client gets it without reconnecting.
    await stays.waitFor((events) => events.length === 2, 10_000);
    expect(datas(stays)).toEqual(['before', 'after']);
    // The client that left during the outage resumes from the (persisted) stream.
    const back = await open(b, '/hub/rooms/o', { 'last-event-id': leaves.events[0]?.id as string });
    await back.waitFor((events) => events.length === 1);
    expect(datas(back)).toEqual(['after']);
    expect(b.output()).toContain('Redis connection lost');
  });

  it('rejects sends that need Redis while it is down, and still delivers sendTo() to a local connection', async () => {
    const [a, b] = await startPair();
    const greeted = await open(b, '/hub/greet/out', { 'x-user': 'ada' });
    const [welcome] = await greeted.waitFor((events) => events.length === 1);
    const connectionId = JSON.parse(welcome?.data ?? '{}').connectionId as string;
    type Sent = { delivered?: number; name?: string; message?: string };
    await suite.redis.stop();
    try {
      const toRemote = await a.post<Sent>('/control/send-to', {
        connectionId,
        event: { data: 'x' },
      });
      expect(toRemote.status).toBe(503);
      expect(toRemote.body).toMatchObject({
        name: 'SseBackendUnavailableError',
        message: expect.stringContaining(`sendTo("${connectionId}") was not carried out`),
      });
      const toUser = await a.post<Sent>('/control/send-to-user', {
        userId: 'ada',
        event: { data: 'x' },
      });
      expect(toUser.status).toBe(503);
      expect(toUser.body).toMatchObject({
        name: 'SseBackendUnavailableError',
        message: expect.stringContaining('sendToUser("ada") was not carried out'),
      });
      const finish = await a.post<Sent>('/control/finish', { channel: 'jobs/out' });
      expect(finish.status).toBe(503);
      expect(finish.body.message).toContain('finish("jobs/out") was not carried out');
      // The connection is on b itself: no Redis involved.
      const local = await b.post<Sent>('/control/send-to', {
        connectionId,
        event: { data: 'local' },
      });
      expect(local).toEqual({ status: 201, body: { delivered: 1 } });
      await greeted.waitFor((events) => events.length === 2);
      expect(datas(greeted).slice(1)).toEqual(['local']);
    } finally {
      await suite.redis.start();
    }
  });

  it('delivers what was published while one instance had lost its subscription, once, in order', async () => {
    const [a, b] = (await suite.startInstances([
      { ADAPTER: 'express' },
      { ADAPTER: 'express' },
    ])) as [Instance, Instance];
    const onB = await open(b, '/hub/rooms/gap');
    await publishWhenBack(a, 'rooms/gap', '0');
    await onB.waitFor((events) => events.length === 1);
    // Cut every pub/sub connection; the command connections (so publishing) keep working.
    suite.redis.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
    for (let i = 1; i <= 20; i++) {
      const result = await publish(a, 'rooms/gap', String(i));
      expect(result.status).toBe(201);
    }
    await onB.waitFor((events) => events.length === 21, 10_000);
    await sleep(300);
    expect(datas(onB)).toEqual(Array.from({ length: 21 }, (_, i) => String(i)));
  });

  it('closes within shutdownTimeoutMs while Redis holds a publish, which rejects saying its outcome is unknown', async () => {
    const backend = () => new RedisBackend({ url: suite.redis.url, keyPrefix: 'late:' });
    const staying = await suite.startApp(hubModule({ backend: backend() }), 'fastify');
    const leaving = await startApp(
      hubModule({ backend: backend(), shutdownTimeoutMs: 300 }),
      'express',
    );
    const onStaying = await open(staying, '/hub/rooms/late');
    const onLeaving = await open(leaving, '/hub/rooms/late');
    // Redis holds every write command (the publish script among them) for 3 s; the
    // subscriptions, which send no commands, keep receiving.
    suite.redis.cli('CLIENT', 'PAUSE', '3000', 'WRITE');
    const late = leaving.app.get(BroadcastService).publish('rooms/late', { data: 'late' });
    const failure = late.then(
      () => undefined,
      (error: unknown) => error,
    );
    const closing = Date.now();
    await leaving.close();
    // shutdownTimeoutMs, and closing the HTTP server.
    expect(Date.now() - closing).toBeLessThan(1_000);
    await onLeaving.ended;
    // The shutdown event, and not the held publish.
    expect(datas(onLeaving)).toEqual(['server shutting down']);
    const error = await within(failure, 1_000, 'the held publish to fail');
    expect(error).toBeInstanceOf(SseShutdownError);
    expect(error).toMatchObject({ operation: 'publish to "rooms/late"', outcomeUnknown: true });
    expect((error as Error).message).toBe(
      'SseModule shut down before the backend answered: publish to "rooms/late" may or may not have been carried out',
    );
    // The other instance's stream is untouched, and gets what is published once Redis is back.
    suite.redis.cli('CLIENT', 'UNPAUSE');
    await staying.app.get(BroadcastService).publish('rooms/late', { data: 'after' });
    await onStaying.waitFor((events) => events.at(-1)?.data === 'after', 5_000);
    expect(onStaying.response.destroyed).toBe(false);
  });
});

/**
 * An instance whose subscription is gone while others publish. The instance is frozen (SIGSTOP)
 * while its subscription is cut and the events are published, so it cannot have received any of
 * them live: what its clients get, they get from the catch-up.
 */
describe.each(TOPOLOGIES)('Redis catch-up after a lost subscription (%s)', (topology) => {
  const suite = redisSuite({ topology });
  const { open } = suite;

  /** A publisher `a` and an instance `b` whose connections are named 'b'; `env` for both. */
  const start = (
    env: Record<string, string> = {},
    onlyB: Record<string, string> = {},
    server?: RedisServer,
  ) =>
    suite.startInstances(
      [
        { ADAPTER: 'express', ...env },
        { ADAPTER: 'fastify', REDIS_NAME: 'b', ...env, ...onlyB },
      ],
      server,
    ) as Promise<[Instance, Instance]>;
  const publish = (instance: Instance, channel: string, data: string) =>
    suite.publish(instance, channel, { data });
  const history = async (instance: Instance, channel: string) =>
    (await instance.get<SseHistoryEntry[]>(`/control/history?channel=${channel}&limit=10000`)).body;
  /**
   * The reasons the instance's registry gave, in `events$` and in `stats().disconnects`, for
   * the closed streams of `channel`, once it has closed one (it may close them after the
   * client saw its stream end).
   */
  const disconnectReasons = async (instance: Instance, channel: string) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { body: log } =
        await instance.get<Array<{ channels: string[]; reason: string }>>('/control/disconnects');
      const reasons = log.filter((d) => d.channels.includes(channel)).map((d) => d.reason);
      if (reasons.length > 0) {
        const { body: stats } = await instance.get<SseRegistryStats>('/control/stats');
        return { events: reasons, stats: stats.disconnects };
      }
      if (Date.now() > deadline)
        throw new Error(`no stream of "${channel}" closed on ${instance.url}`);
      await sleep(50);
    }
  };
  /** Resolves once `b` has no catch-up under way (none held what arrived, with a bound of 0). */
  const caughtUp = async (b: Instance) => {
    const busy = async () =>
      (await b.get<SseHealth>('/control/health')).body.backend.catchUp?.inProgress !== false;
    for (const deadline = Date.now() + 10_000; await busy(); await sleep(50))
      if (Date.now() > deadline) throw new Error(`${b.url} is still catching up`);
  };
  /**
   * Closes the subscriptions of `b` (named 'b'): its one subscriber on a standalone Redis, its
   * connection to each master it subscribed on in a cluster.
   */
  const cutSubscribers = () => {
    const cut = suite.target.killSubscribers('b');
    if (topology === 'standalone') expect(cut).toBe(1);
    else expect(cut).toBeGreaterThan(0);
  };
  /** Runs `offline` while `b` is frozen and its subscription is closed. */
  const whileCutOff = async (b: Instance, offline: () => Promise<void>) => {
    b.pause();
    try {
      cutSubscribers();
      await offline();
    } finally {
      b.resume();
    }
  };

  /**
   * Has `b` open a stream on `channel` whose history key then holds a string: every read of it
   * fails, so a catch-up of `b` goes on trying (holding what arrives) until `release()`.
   */
  const stall = async (b: Instance, room: string) => {
    await open(b, `/hub/rooms/${room}`);
    const key = `sse:{rooms/${room}}:h`;
    suite.target.cliOn(key, 'SET', key, 'not a stream');
    // The catch-up reads through the read script, whose first stream command fails on it.
    const failedReads = () =>
      Number(
        /cmdstat_xrevrange:.*failed_calls=(\d+)/.exec(
          suite.target.cliOn(key, 'INFO', 'commandstats'),
        )?.[1] ?? 0,
      );
    const before = failedReads();
    return {
      /** Resolves once a catch-up of `b` has failed to read it. */
      failing: async () => {
        for (const deadline = Date.now() + 10_000; failedReads() === before; await sleep(50))
          if (Date.now() > deadline) throw new Error(`no catch-up of ${b.url} read ${key}`);
      },
      release: () => suite.target.cliOn(key, 'DEL', key),
    };
  };

  /** Instances keeping 3 events of history, and a stream of `path` on b that got one event. */
  const shortHistory = async (path: string, channel: string) => {
    const [a, b] = await start({ HISTORY_SIZE: '3' });
    const stream = await open(b, path);
    await publish(a, channel, 'seen');
    const [seen] = await stream.waitFor((events) => events.length === 1);
    return { a, b, stream, seen };
  };
  /**
   * The stream of `channel` on b ends with nothing after the event it had seen (its client's
   * Last-Event-ID stays before the gap), and not as `finished`: b counts it as a resync.
   */
  const endsForResync = async (b: Instance, stream: RawStream, channel: string) => {
    await within(stream.ended, 10_000, `the stream of "${channel}" on b to end`);
    expect(datas(stream)).toEqual(['seen']);
    expect(await disconnectReasons(b, channel)).toEqual({
      events: ['resync'],
      stats: { resync: 1 },
    });
  };
  /** While b is cut off, publishes five events to `channel`, more than its history keeps. */
  const missFive = (a: Instance, b: Instance, channel: string, andThen = async () => {}) =>
    whileCutOff(b, async () => {
      for (let i = 1; i <= 5; i++) await publish(a, channel, `missed ${i}`);
      await andThen();
    });

  it('delivers the missed events of a channel that had none before the cut', async () => {
    const [a, b] = await start();
    const fresh = await open(b, '/hub/rooms/fresh');
    await whileCutOff(b, async () => {
      for (const data of ['1', '2', '3']) await publish(a, 'rooms/fresh', data);
    });
    await fresh.waitFor((events) => events.length === 3, 10_000);
    await publish(a, 'rooms/fresh', '4');
    await fresh.waitFor((events) => events.length === 4, 10_000);
    await sleep(300);
    expect(fresh.events).toEqual(
      (await history(a, 'rooms/fresh')).map(({ id, data }) => ({ id, data, event: undefined })),
    );
    expect(datas(fresh)).toEqual(['1', '2', '3', '4']);
  });

  /** The events of `datas` whose data starts with `prefix`: one channel's, in their order. */
  const ofChannel = (datas: ReadonlyArray<string | undefined>, prefix: string) =>
    datas.filter((data) => data?.startsWith(prefix));

  it('delivers the missed events of a stream on two channels, each in its order, so it can resume after any of them', async () => {
    const [a, b] = await start();
    const both = await open(b, '/hub/both');
    const order = ['a1', 'b1', 'a2', 'b2', 'a3', 'b3'];
    await whileCutOff(b, async () => {
      for (const data of order) await publish(a, data.slice(0, 1), data);
    });
    await both.waitFor((events) => events.length >= order.length, 10_000);
    await sleep(300);
    const got = datas(both);
    expect([...got].sort()).toEqual([...order].sort());
    for (const channel of ['a', 'b'])
      expect(ofChannel(got, channel)).toEqual(ofChannel(order, channel));
    // Its id holds a position per channel: resuming after any event brings exactly those after.
    for (let seen = 1; seen < got.length; seen++) {
      const resumed = await open(b, '/hub/both', {
        'last-event-id': both.events[seen - 1]?.id as string,
      });
      await resumed.waitFor((events) => events.length >= got.length - seen, 10_000);
      await sleep(100);
      expect([...datas(resumed)].sort()).toEqual(got.slice(seen).sort());
      resumed.close();
    }
  });

  it('catches up a stream on several channels however many events it missed: catchUpBufferBytes bounds only what arrives meanwhile', async () => {
    const [a, b] = await start({}, { CATCH_UP_BUFFER_BYTES: '200' });
    const pair = await open(b, '/hub/pair');
    const alone = await open(b, '/hub/rooms/alone');
    await publish(a, 'rooms/shared', 'before');
    await pair.waitFor((events) => events.length === 1);
    const order: string[] = [];
    const lone: string[] = [];
    // Some 30 bytes each: more than 200 bytes in all.
    await whileCutOff(b, async () => {
      for (let i = 1; i <= 4; i++) {
        for (const channel of ['rooms/shared', 'flood']) {
          await publish(a, channel, `${channel} ${i}`);
          order.push(`${channel} ${i}`);
        }
        await publish(a, 'rooms/alone', `alone ${i}`);
        lone.push(`alone ${i}`);
      }
    });
    await pair.waitFor((events) => events.length >= 1 + order.length, 10_000);
    await alone.waitFor((events) => events.length >= lone.length, 10_000);
    await sleep(300);
    const got = datas(pair).slice(1);
    for (const channel of ['rooms/shared', 'flood'])
      expect(ofChannel(got, channel)).toEqual(ofChannel(order, channel));
    expect(got).toHaveLength(order.length);
    expect(datas(alone)).toEqual(lone);
    expect(pair.response.readable).toBe(true);
    expect(alone.response.readable).toBe(true);
  });

  it('writes the missed events to a stream in a few system calls, not one per event', async () => {
    const [a, b] = await start();
    const busy = await open(b, '/hub/rooms/writes');
    const MISSED = 500;
    // Writes on the sockets of b's clients so far: the stream's, and these requests' answers.
    const writes = async () =>
      (await b.get<{ writes: number }>('/control/socket-writes')).body.writes;
    const before = await writes();
    await whileCutOff(b, async () => {
      for (let i = 0; i < MISSED; i += 50)
        await Promise.all(
          Array.from({ length: 50 }, (_, j) => publish(a, 'rooms/writes', String(i + j))),
        );
    });
    await busy.waitFor((events) => events.length >= MISSED, 10_000);
    // Besides the catch-up's few: heartbeats (one per 200 ms) and the answer to the first count.
    expect((await writes()) - before).toBeLessThan(MISSED / 5);
  });

  it('after a short loss, reads the history from where its streams were, not from its start', async () => {
    const [a, b] = await start();
    const long = await open(b, '/hub/rooms/long');
    for (let i = 0; i < 1_000; i += 50)
      await Promise.all(Array.from({ length: 50 }, (_, j) => publish(a, 'rooms/long', `${i + j}`)));
    await long.waitFor((events) => events.length >= 1_000, 10_000);
    // The node serving the channel's keys: on a cluster, the catch-up reads them there.
    const client = new Redis(suite.target.urlOf('sse:{rooms/long}:h'));
    // monitor() opens a connection of its own, in monitor mode.
    const monitor = await client.monitor();
    const starts: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      const [command, key, start] = args;
      if (command?.toLowerCase() === 'xrange' && key === 'sse:{rooms/long}:h' && start !== '-')
        starts.push(start as string);
    });
    try {
      await whileCutOff(b, () => publish(a, 'rooms/long', 'missed').then(() => undefined));
      await long.waitFor((events) => events.length >= 1_001, 10_000);
      await waitUntil(
        () => starts.length > 0,
        () => 'no XRANGE of the catch-up',
      );
      // Right after the newest event the stream had: one entry to read, not a thousand.
      expect(starts).toEqual([`(${long.events[999]?.id as string}`]);
    } finally {
      monitor.disconnect();
      client.disconnect();
    }
  });

  // A standalone server's restart; a cluster's lost shard is tested below.
  const onStandalone = topology === 'standalone' ? it : () => undefined;
  onStandalone(
    'delivers what was published after a Redis restart that lost its data, before the instance was back',
    async () => {
      const volatile = await startRedis();
      try {
        const [a, b] = await start({}, {}, volatile);
        const warm = await open(b, '/hub/rooms/warm');
        const fresh = await open(b, '/hub/rooms/new');
        for (const data of ['w1', 'w2', 'w3']) await publish(a, 'rooms/warm', data);
        await warm.waitFor((events) => events.length === 3);
        b.pause();
        try {
          await volatile.stop();
          await volatile.start();
          // The sequence starts again, from the clock: later events still count as later.
          for (const data of ['1', '2']) await publishWhenBack(a, 'rooms/new', data);
        } finally {
          b.resume();
        }
        await fresh.waitFor((events) => events.length === 2, 15_000);
        expect(datas(fresh)).toEqual(['1', '2']);
        expect(datas(warm)).toEqual(['w1', 'w2', 'w3']);
      } finally {
        await suite.stopInstances();
        await volatile.dispose();
      }
    },
  );

  it('finishes the local streams of a channel finished during the cut, after its final event', async () => {
    const [a, b] = await start();
    const job = await open(b, '/hub/jobs/cut');
    await publish(a, 'jobs/cut', 'working');
    await job.waitFor((events) => events.length === 1);
    await whileCutOff(b, async () => {
      const { status } = await a.post('/control/finish', {
        channel: 'jobs/cut',
        event: { event: 'done', data: 'ok' },
      });
      expect(status).toBe(201);
    });
    await within(job.ended, 10_000, 'the stream on b to end');
    expect(job.events.map((e) => [e.event, e.data])).toEqual([
      [undefined, 'working'],
      ['done', 'ok'],
    ]);
    expect((await openRawStream(`${b.url}/hub/jobs/cut`)).status).toBe(204);
    expect(await disconnectReasons(b, 'jobs/cut')).toEqual({
      events: ['finished'],
      stats: { finished: 1 },
    });
  });

  it('ends the streams of a channel whose missed events history no longer holds, so their clients get a reset', async () => {
    const { a, b, stream: trimmed, seen } = await shortHistory('/hub/rooms/trim', 'rooms/trim');
    await missFive(a, b, 'rooms/trim');
    // Not `finished`: the channel goes on, its clients are to come back and resync.
    await endsForResync(b, trimmed, 'rooms/trim');
    await logged(b, 'the history of "rooms/trim" no longer holds every event');
    const resumed = await open(b, '/hub/rooms/trim', { 'last-event-id': seen?.id as string });
    const [reset] = await resumed.waitFor((events) => events.length === 1);
    expect(reset).toMatchObject({ event: 'sse:reset', data: '{"reason":"evicted"}' });
  });

  it('ends with resync, without its final event, a stream with a gap whose channel is finished during the catch-up', async () => {
    const { a, b, stream: job } = await shortHistory('/hub/jobs/gap', 'jobs/gap');
    const stuck = await stall(b, 'stuck');
    await missFive(a, b, 'jobs/gap');
    await stuck.failing();
    // b holds what the bus brings while it tries again: this finish among it.
    const { status } = await a.post('/control/finish', {
      channel: 'jobs/gap',
      event: { event: 'done', data: 'ok' },
    });
    expect(status).toBe(201);
    stuck.release();
    await endsForResync(b, job, 'jobs/gap');
  });

  it('ends with resync a stream with a gap whose channel was finished during the cut', async () => {
    const { a, b, stream: job } = await shortHistory('/hub/jobs/cut-gap', 'jobs/cut-gap');
    await missFive(a, b, 'jobs/cut-gap', async () => {
      const { status } = await a.post('/control/finish', { channel: 'jobs/cut-gap' });
      expect(status).toBe(201);
    });
    await endsForResync(b, job, 'jobs/cut-gap');
  });

  it('with catchUpBufferBytes 0, keeps its streams while other channels get events during a catch-up: none reach it', async () => {
    const [a, b] = await start({}, { CATCH_UP_BUFFER_BYTES: '0' });
    const kept = await open(b, '/hub/rooms/kept');
    const stuck = await stall(b, 'stalled');
    cutSubscribers();
    await stuck.failing();
    // Channels b has no stream on: b does not listen to them, so nothing of theirs is held.
    const crowd = await a.post('/control/publish-many', {
      prefix: 'crowd/',
      count: 10_001,
      event: { data: 'x' },
    });
    expect(crowd).toEqual({ status: 201, body: { published: 10_001 } });
    stuck.release();
    await caughtUp(b);
    await publish(a, 'rooms/kept', 'after');
    await Promise.race([kept.ended, kept.waitFor((events) => events.length >= 1, 10_000)]);
    expect(kept.response.readable).toBe(true);
    expect(datas(kept)).toEqual(['after']);
  });

  it('past catchUpBufferBytes, ends with resync a stream subscribed to during the catch-up', async () => {
    const [a, b] = await start({}, { CATCH_UP_BUFFER_BYTES: '0' });
    const stuck = await stall(b, 'stalled-too');
    cutSubscribers();
    await stuck.failing();
    // Its channel was not among those the catch-up started with, whose drops it tells apart.
    const joiner = await open(b, '/hub/rooms/joiner');
    await publish(a, 'rooms/joiner', 'dropped');
    stuck.release();
    await within(joiner.ended, 10_000, 'the stream opened during the catch-up to end');
    expect((await disconnectReasons(b, 'rooms/joiner')).events).toEqual(['resync']);
  });

  it('past catchUpBufferBytes, ends the streams of the channels concerned; their reconnects miss nothing', async () => {
    const [a, b] = await start({}, { CATCH_UP_BUFFER_BYTES: '0' });
    const busy = await open(b, '/hub/rooms/busy');
    let publishing = true;
    let sent = 0;
    // Publishes keep coming while b catches up, so messages arrive that the bound cannot hold.
    const publisher = (async () => {
      while (publishing) {
        await Promise.all(
          Array.from({ length: 4 }, () => publish(a, 'rooms/busy', String(sent++))),
        );
      }
    })();
    let resumed: RawStream;
    try {
      await busy.waitFor((events) => events.length >= 10);
      for (let cut = 0; cut < 20 && busy.response.readable; cut++) {
        suite.target.killSubscribers('b');
        await Promise.race([busy.ended, sleep(1_000)]);
      }
      await within(busy.ended, 10_000, 'the stream on b to end');
      await logged(b, 'more than catchUpBufferBytes (0) of messages arrived meanwhile');
      expect(await disconnectReasons(b, 'rooms/busy')).toEqual({
        events: ['resync'],
        stats: { resync: 1 },
      });
      resumed = await open(b, '/hub/rooms/busy', {
        'last-event-id': busy.events.at(-1)?.id as string,
      });
      await resumed.waitFor((events) => events.length >= 10, 10_000);
    } finally {
      publishing = false;
      await publisher;
    }
    const all = await history(a, 'rooms/busy');
    await resumed.waitFor((events) => busy.events.length + events.length >= all.length, 10_000);
    expect([...datas(busy), ...datas(resumed)]).toEqual(all.map((entry) => entry.data));
  });
});

/**
 * A Redis Cluster losing one shard: the channels of the other shards go on as if nothing
 * happened, and the lost shard's channels resume without a gap, once their master is back or
 * its replica has taken over.
 */
describe.each([
  ['without replicas: its master comes back', 0],
  ['with replicas: a replica takes over', 1],
] as const)('Redis Cluster losing a shard, %s', (_, replicas) => {
  const suite = redisSuite({ topology: 'cluster', cluster: { replicas } });
  const { open } = suite;

  /** A channel whose keys the master `index` serves, and one served by another master. */
  const channelsAround = (index: number) => {
    const served = (channel: string) => suite.target.cluster.nodeOf(`sse:{${channel}}:h`);
    const names = Array.from({ length: 50 }, (_, i) => `rooms/shard-${i}`);
    const lost = names.find((name) => served(name) === index) as string;
    const kept = names.find((name) => served(name) !== index) as string;
    return { lost, kept };
  };

  it("keeps the other shards' channels flowing, then delivers every event of the lost one exactly once", async () => {
    const [a, b] = (await suite.startInstances([
      { ADAPTER: 'express' },
      { ADAPTER: 'fastify' },
    ])) as [Instance, Instance];
    const { lost, kept } = channelsAround(0);
    const onLost = await open(b, `/hub/${lost}`);
    const onKept = await open(b, `/hub/${kept}`);
    await suite.publish(a, lost, { data: 'before' });
    await onLost.waitFor((events) => events.length === 1);

    await suite.target.cluster.stopNode(0, 'SIGKILL');
    if (replicas > 0) await suite.target.cluster.waitUntilHealthy();
    // The other shards never stopped.
    await suite.publish(a, kept, { data: 'kept 1' });
    await onKept.waitFor((events) => events.length === 1, 5_000);
    // The lost shard's channel takes publishes again once a master serves it.
    const during = replicas > 0 ? ['after 1', 'after 2'] : [];
    for (const data of during) await publishWhenBack(a, lost, data);
    if (replicas === 0) await suite.target.cluster.startNode(0);
    const after = replicas > 0 ? ['after 3'] : ['after 1', 'after 2'];
    for (const data of after) await publishWhenBack(a, lost, data);
    await suite.publish(a, kept, { data: 'kept 2' });

    const wanted = ['before', 'after 1', 'after 2', 'after 3'].slice(
      0,
      1 + during.length + after.length,
    );
    await onLost.waitFor((events) => events.length >= wanted.length, 20_000);
    await onKept.waitFor((events) => events.length === 2, 5_000);
    await sleep(300);
    expect(datas(onLost)).toEqual(wanted);
    expect(datas(onKept)).toEqual(['kept 1', 'kept 2']);
    expect(onLost.response.readable).toBe(true);
    expect(onKept.response.readable).toBe(true);
  });
});

/**
 * Redis behind Sentinel, through the `redis` option alone (`sentinels`, `name`): ioredis asks
 * the Sentinel for the master, and again once the master's connections are lost; after the
 * Sentinel promoted a replica, the subscriber's catch-up reads what it missed on the new master.
 */
describe('Redis behind Sentinel', () => {
  const suite = redisSuite();
  const { open } = suite;
  let replica: RedisServer | undefined;
  let sentinel: RedisSentinel | undefined;

  beforeAll(async () => {
    replica = await startRedis({ replicaOf: suite.redis.port });
    sentinel = await startSentinel('sse-primary', suite.redis.port);
  }, 30_000);
  afterAll(async () => {
    await sentinel?.dispose();
    await replica?.dispose();
  });

  it('reaches the master Sentinel names, and follows a failover with every event exactly once', async () => {
    const env = {
      REDIS_SENTINELS: `127.0.0.1:${sentinel?.port}`,
      REDIS_SENTINEL_NAME: 'sse-primary',
    };
    const [a, b] = (await suite.startInstances([
      { ADAPTER: 'express', ...env },
      { ADAPTER: 'fastify', ...env },
    ])) as [Instance, Instance];
    const stream = await open(b, '/hub/rooms/sentinel');
    for (const data of ['1', '2']) await suite.publish(a, 'rooms/sentinel', { data });
    await stream.waitFor((events) => events.length === 2);
    // The replica has both before it is promoted: replication is asynchronous.
    expect(suite.redis.cli('WAIT', '1', '5000').trim()).toBe('1');

    // The Sentinel must know the replica before the master goes (it learns it from its INFO).
    await waitUntil(
      () =>
        sentinel?.cli('SENTINEL', 'REPLICAS', 'sse-primary').includes(String(replica?.port)) ===
        true,
      () => 'the Sentinel does not know the replica',
    );
    // The master crashes; the Sentinel finds it down after 1 s and promotes the replica.
    await suite.redis.stop();
    const named = () => sentinel?.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'sse-primary') ?? '';
    await waitUntil(
      () => named().includes(String(replica?.port)),
      () => `the Sentinel still names ${named()}`,
      15_000,
    );
    for (const data of ['3', '4']) await publishWhenBack(a, 'rooms/sentinel', data);
    await stream.waitFor((events) => events.length >= 4, 15_000);
    await sleep(300);
    expect(datas(stream)).toEqual(['1', '2', '3', '4']);
    expect(stream.response.readable).toBe(true);
    // Written on the promoted replica.
    const key = 'sse:{rooms/sentinel}:h';
    expect(Number(replica?.cli('XLEN', key))).toBe(4);
  });
});

describe('RedisBackend over TLS', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis({ tls: true });
  });
  afterAll(() => redis?.dispose());

  it('streams through a TLS connection to Redis, which the tls option enables on a redis:// URL', async () => {
    const url = redis.url.replace('rediss://', 'redis://');
    const backend = new RedisBackend({ url, tls: { ca: redis.ca } });
    const running = await startApp(hubModule({ backend }), 'express');
    try {
      const stream = await openRawStream(`${running.url}/hub/rooms/tls`);
      await opened(stream);
      await running.app.get(BroadcastService).publish('rooms/tls', { data: 'secure' });
      await stream.waitFor((events) => events[0]?.data === 'secure');
      stream.close();
    } finally {
      await running.close();
    }
  });

  it.each([
    ['a rediss:// URL', (url: string) => new RedisBackend({ url, connectTimeoutMs: 2000 })],
    [
      'tls: true on a redis:// URL',
      (url: string) =>
        new RedisBackend({
          url: url.replace('rediss://', 'redis://'),
          tls: true,
          connectTimeoutMs: 2000,
        }),
    ],
  ])('with %s, refuses to boot against a certificate it does not trust', async (_, backend) => {
    @Module({ imports: [SseModule.forRoot({ backend: backend(redis.url) })] })
    class UntrustedModule {}
    const app = await NestFactory.create(UntrustedModule, {
      logger: new CapturedLogs(),
      abortOnError: false,
    });
    await expect(app.init()).rejects.toThrow(
      /RedisBackend could not connect to rediss?:\/\/127\.0\.0\.1:\d+: .*certificate/,
    );
    await app.close().catch(() => undefined);
  });
});

describe('RedisBackend at boot', () => {
  it('rejects invalid options with a message naming the option', () => {
    expect(() => new RedisBackend({ presenceIntervalMs: 10 })).toThrow(
      'presenceIntervalMs must be an integer from 500 to 300000',
    );
    expect(() => new RedisBackend({ url: 42 as unknown as string })).toThrow(
      'url must be a string',
    );
    expect(() => new RedisBackend({ catchUpBufferBytes: -1 })).toThrow(
      'catchUpBufferBytes must be an integer from 0 to 1073741824',
    );
    expect(() => new RedisBackend({ keyprefix: 'x' } as never)).toThrow(
      'keyprefix is not a RedisBackend option',
    );
    expect(() => new RedisBackend({ keyPrefix: 'app{1}:' })).toThrow(
      'keyPrefix must not contain { or }',
    );
  });

  it('rejects cluster options that cannot reach a cluster, naming the option', () => {
    const nodes = ['redis://127.0.0.1:7000'];
    expect(() => new RedisBackend({ cluster: 'redis://x' as never })).toThrow(
      'cluster must be an object',
    );
    expect(() => new RedisBackend({ cluster: { nodes: [] } })).toThrow(
      'cluster.nodes must be a non-empty array of node URLs',
    );
    expect(() => new RedisBackend({ cluster: { nodes: [7000] as never } })).toThrow(
      'cluster.nodes must be a non-empty array of node URLs',
    );
    expect(() => new RedisBackend({ cluster: { nodes, options: 1 as never } })).toThrow(
      'cluster.options must be an object of ioredis Cluster options',
    );
    expect(() => new RedisBackend({ cluster: { nodes, node: 'x' } as never })).toThrow(
      'cluster.node is not a RedisBackend option',
    );
    expect(() => new RedisBackend({ url: 'redis://127.0.0.1:6379', cluster: { nodes } })).toThrow(
      'url must not be set with cluster',
    );
    expect(() => new RedisBackend({ cluster: { nodes } })).not.toThrow();
  });

  it('fails the boot after connectTimeoutMs when the server accepts the connection but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      @Module({
        imports: [
          SseModule.forRoot({
            backend: new RedisBackend({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300 }),
          }),
        ],
      })
      class SilentModule {}
      const app = await NestFactory.create(SilentModule, {
        logger: new CapturedLogs(),
        abortOnError: false,
      });
      await expect(app.init()).rejects.toThrow(
        `RedisBackend could not connect to redis://127.0.0.1:${port}: no answer within connectTimeoutMs (300 ms)`,
      );
      await app.close().catch(() => undefined);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('fails the boot with a clear error when Redis cannot be reached, without the password', async () => {
    @Module({
      imports: [
        SseModule.forRoot({
          backend: new RedisBackend({
            url: 'redis://user:hunter2@127.0.0.1:1',
            connectTimeoutMs: 500,
          }),
        }),
      ],
    })
    class UnreachableModule {}
    const app = await NestFactory.create(UnreachableModule, {
      logger: new CapturedLogs(),
      abortOnError: false,
    });
    const boot = app.init();
    await expect(boot).rejects.toThrow(
      'RedisBackend could not connect to redis://127.0.0.1:1: connect ECONNREFUSED',
    );
    await expect(boot).rejects.not.toThrow(/hunter2/);
    await app.close().catch(() => undefined);
  });
});
