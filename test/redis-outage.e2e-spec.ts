import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BroadcastService, SseModule, type PublishResult } from '../lib/index.js';
import { RedisBackend } from '../lib/redis/index.js';
import { hubModule } from './fixtures/hub.fixture.js';
import { CapturedLogs, startApp } from './support/app.js';
import { startInstance, type Instance } from './support/instances.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { opened, openRawStream, type RawStream } from './support/sse-clients.js';

const datas = (stream: RawStream) => stream.events.map((e) => e.data);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis outages', () => {
  let redis: RedisServer;
  let instances: Instance[] = [];
  const streams: RawStream[] = [];

  beforeAll(async () => {
    redis = await startRedis({ persist: true });
  });
  afterAll(() => redis?.dispose());
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await Promise.all(instances.map((instance) => instance.stop()));
    instances = [];
  });

  const open = async (instance: Instance, path: string, headers: Record<string, string> = {}) => {
    const stream = await openRawStream(`${instance.url}${path}`, headers);
    streams.push(stream);
    await opened(stream);
    return stream;
  };
  const publish = (instance: Instance, channel: string, data: string) =>
    instance.post<PublishResult & { name?: string; message?: string }>('/control/publish', {
      channel,
      event: { data },
    });
  /** Publishes once Redis answers again (the client reconnects with a short backoff). */
  const publishWhenBack = async (instance: Instance, channel: string, data: string) => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const result = await publish(instance, channel, data);
      if (result.status === 201) return result.body;
      await sleep(100);
    }
    throw new Error('Redis never came back');
  };

  it('fails publishes clearly while Redis is down, keeps streams alive, and recovers after a restart', async () => {
    instances = await Promise.all([
      startInstance({ REDIS_URL: redis.url, ADAPTER: 'express' }),
      startInstance({ REDIS_URL: redis.url, ADAPTER: 'fastify' }),
    ]);
    const [a, b] = instances as [Instance, Instance];
    const stays = await open(b, '/hub/rooms/o');
    const leaves = await open(b, '/hub/rooms/o');
    await publishWhenBack(a, 'rooms/o', 'before');
    await stays.waitFor((events) => events.length === 1);
    await leaves.waitFor((events) => events.length === 1);
    leaves.close();

    await redis.stop();
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

    await redis.start();
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

  it('delivers what was published while one instance had lost its subscription, once, in order', async () => {
    instances = await Promise.all([
      startInstance({ REDIS_URL: redis.url, ADAPTER: 'express' }),
      startInstance({ REDIS_URL: redis.url, ADAPTER: 'express' }),
    ]);
    const [a, b] = instances as [Instance, Instance];
    const onB = await open(b, '/hub/rooms/gap');
    await publishWhenBack(a, 'rooms/gap', '0');
    await onB.waitFor((events) => events.length === 1);
    // Cut every pub/sub connection; the command connections (so publishing) keep working.
    execFileSync('redis-cli', ['-p', String(redis.port), 'CLIENT', 'KILL', 'TYPE', 'pubsub']);
    for (let i = 1; i <= 20; i++) {
      const result = await publish(a, 'rooms/gap', String(i));
      expect(result.status).toBe(201);
    }
    await onB.waitFor((events) => events.length === 21, 10_000);
    await sleep(300);
    expect(datas(onB)).toEqual(Array.from({ length: 21 }, (_, i) => String(i)));
  });
});

describe('RedisBackend over TLS', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis({ tls: true });
  });
  afterAll(() => redis?.dispose());

  it('streams through a TLS connection to Redis', async () => {
    const backend = new RedisBackend({ url: redis.url, tls: { ca: redis.ca } });
    const running = await startApp(hubModule({ backend }), 'express');
    try {
      const stream = await openRawStream(`${running.url}/hub/rooms/tls`);
      await opened(stream);
      await running.app.get(BroadcastService).publish('rooms/tls', 'secure');
      await stream.waitFor((events) => events[0]?.data === 'secure');
      stream.close();
    } finally {
      await running.close();
    }
  });

  it('refuses to boot against a server whose certificate it does not trust', async () => {
    @Module({
      imports: [
        SseModule.forRoot({
          backend: new RedisBackend({ url: redis.url, connectTimeoutMs: 2000 }),
        }),
      ],
    })
    class UntrustedModule {}
    const app = await NestFactory.create(UntrustedModule, {
      logger: new CapturedLogs(),
      abortOnError: false,
    });
    await expect(app.init()).rejects.toThrow(
      /RedisBackend could not connect to rediss:\/\/127\.0\.0\.1:\d+: .*certificate/,
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
    expect(() => new RedisBackend({ keyprefix: 'x' } as never)).toThrow(
      'keyprefix is not a RedisBackend option',
    );
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
