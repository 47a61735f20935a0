import { afterEach, describe, expect, it } from '@jest/globals';
import { BroadcastService, type SseHealth } from '../lib/index.js';
import { RedisBackend, type RedisBackendHealth } from '../lib/redis/index.js';
import { healthApp } from './fixtures/health-app.fixture.js';
import { closeDuringPublish, gatedPayload } from './support/held-publish.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { redisSuite } from './support/redis-suite.js';
import { opened, openRawStream, type RawStream } from './support/sse-clients.js';

/** The SSE part of a terminus answer: the indicator's status and details. */
type SseDetails = Omit<SseHealth, 'maxConnections' | 'backend'> & {
  readonly status: 'up' | 'down';
  readonly message?: string;
  readonly maxConnections?: number;
  readonly backend: Partial<RedisBackendHealth>;
};
interface HealthAnswer {
  readonly status: number;
  readonly body: {
    readonly status: 'ok' | 'error';
    readonly details: { readonly sse: SseDetails };
  };
}

async function getHealth(target: { readonly url: string }): Promise<HealthAnswer> {
  const response = await fetch(`${target.url}/health`);
  return { status: response.status, body: (await response.json()) as HealthAnswer['body'] };
}

/**
 * Asks `GET /health` until `accept` holds for the answer (the state it waits for comes from
 * Redis reconnecting, which nothing here can be told of), failing with the last answer.
 */
async function healthWhen(
  target: { readonly url: string },
  accept: (answer: HealthAnswer) => boolean,
  timeoutMs = 10_000,
): Promise<HealthAnswer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await getHealth(target);
    if (accept(answer)) return answer;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms; last answer: ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(ADAPTERS)('terminus health on %s', (adapter) => {
  let running: RunningApp | undefined;
  const streams: RawStream[] = [];
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await running?.close();
    running = undefined;
  });
  const open = async (path: string) => {
    const stream = await openRawStream(`${running?.url}${path}`);
    streams.push(stream);
    await opened(stream);
    return stream;
  };

  it('is up with the figures on the in-memory backend', async () => {
    running = await startApp(healthApp({ maxConnections: 10 }), adapter);
    await open('/streams/rooms/a');
    const { status, body } = await getHealth(running);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.details.sse).toEqual({
      status: 'up',
      connections: 1,
      maxConnections: 10,
      stopping: false,
      backend: { available: true },
    });
  });

  it('leaves maxConnections out of the figures when there is no limit', async () => {
    running = await startApp(healthApp(), adapter);
    const { status, body } = await getHealth(running);
    expect(status).toBe(200);
    expect(body.details.sse).toEqual({
      status: 'up',
      connections: 0,
      stopping: false,
      backend: { available: true },
    });
  });

  it('is down (503) once live streams fill maxConnections', async () => {
    running = await startApp(healthApp({ maxConnections: 2 }), adapter);
    await open('/streams/rooms/a');
    expect((await getHealth(running)).status).toBe(200);
    await open('/streams/rooms/b');
    const { status, body } = await getHealth(running);
    expect(status).toBe(503);
    expect(body.status).toBe('error');
    expect(body.details.sse).toMatchObject({
      status: 'down',
      message: '2 live streams: maxConnections (2) reached, new streams get 503',
      connections: 2,
      maxConnections: 2,
    });
  });

  it('is down (503) once live streams reach connectionsThreshold of maxConnections', async () => {
    running = await startApp(
      healthApp({ maxConnections: 4 }, { connectionsThreshold: 0.5 }),
      adapter,
    );
    await open('/streams/rooms/a');
    expect((await getHealth(running)).status).toBe(200);
    await open('/streams/rooms/b');
    const { status, body } = await getHealth(running);
    expect(status).toBe(503);
    expect(body.details.sse).toMatchObject({
      status: 'down',
      message: '2 live streams reach the connectionsThreshold (2 of maxConnections 4)',
    });
  });

  it('is down (503) while app.close() is in progress, streams still open', async () => {
    const payload = gatedPayload();
    running = await startApp(
      healthApp({ channels: [{ pattern: 'rooms/:room', payload: payload.Payload }] }),
      adapter,
    );
    const stream = await open('/streams/rooms/a');
    // A publish still validating holds shutdown before the streams end: the server still answers.
    const { publishing, closing } = await closeDuringPublish(
      running.app,
      payload,
      'rooms/a',
      'held',
    );
    const { status, body } = await getHealth(running);
    payload.open();
    await Promise.all([publishing, closing]);
    running = undefined;
    expect(status).toBe(503);
    expect(body.details.sse).toMatchObject({
      status: 'down',
      message: 'SseModule is shutting down: new streams are refused',
      stopping: true,
      connections: 1,
    });
    await stream.ended;
  });
});

describe('terminus health with the Redis backend', () => {
  const suite = redisSuite();

  it.each(ADAPTERS)(
    'on %s, is down (503) naming Redis while it is stopped, and up again once it is back',
    async (adapter) => {
      const app = await suite.startApp(
        healthApp({
          backend: new RedisBackend({ url: suite.redis.url, keyPrefix: `health-${adapter}:` }),
        }),
        adapter,
      );
      const stream = await suite.open(app, '/streams/rooms/r');
      const before = await getHealth(app);
      expect(before.status).toBe(200);
      expect(before.body.details.sse.backend).toEqual({
        available: true,
        commands: 'ready',
        subscriber: 'ready',
        subscribed: true,
        catchUp: { inProgress: false, started: 0, resyncs: 0 },
      });

      await suite.redis.stop();
      try {
        // Once ioredis has tried again and failed, the refusal is the last error.
        const down = await healthWhen(app, ({ body }) =>
          Boolean(body.details.sse.backend.lastError?.includes('ECONNREFUSED')),
        );
        expect(down.status).toBe(503);
        expect(down.body.details.sse).toMatchObject({
          status: 'down',
          message: expect.stringMatching(
            /^SSE backend unavailable: Redis unavailable: command connection (connecting|reconnecting|closed), subscriber (connecting|reconnecting|closed); last error: .*ECONNREFUSED/,
          ),
          connections: 1,
          backend: { available: false, subscribed: false },
        });
      } finally {
        // Even after a failure above: the next test needs Redis.
        await suite.redis.start();
      }
      const up = await healthWhen(app, ({ status }) => status === 200);
      expect(up.body.details.sse).toMatchObject({
        status: 'up',
        connections: 1,
        backend: {
          available: true,
          commands: 'ready',
          subscriber: 'ready',
          subscribed: true,
          // The outage is remembered, and the subscription that came back was caught up.
          lastError: expect.stringContaining('ECONNREFUSED'),
          catchUp: { started: 1, resyncs: 0 },
        },
      });
      expect(up.body.details.sse.backend).not.toHaveProperty('reason');
      expect(stream.response.destroyed).toBe(false);
    },
  );
});

describe('terminus health after a lost subscription', () => {
  const suite = redisSuite();

  it.each(ADAPTERS)(
    'on %s, is down while the subscription is lost, then counts the catch-up and the channel it had to resync',
    async (adapter) => {
      const sse = (redis: Record<string, unknown> = {}) => ({
        // Five missed events do not fit: the catch-up cannot deliver them, the stream resyncs.
        channels: [{ pattern: 'rooms/:room', historySize: 2 }],
        backend: new RedisBackend({ url: suite.redis.url, keyPrefix: `cut-${adapter}:`, redis }),
      });
      // Its subscriber reconnects a second after it is cut: time to publish what it misses.
      const cut = await suite.startApp(
        healthApp(sse({ connectionName: 'health-cut', retryStrategy: () => 1_000 })),
        adapter,
      );
      const other = await suite.startApp(healthApp(sse()), adapter);
      const broadcast = other.app.get(BroadcastService);
      const stream = await suite.open(cut, '/streams/rooms/gap');
      await broadcast.publish('rooms/gap', { data: 'seen' });
      await stream.waitFor((events) => events.length === 1);

      expect(suite.redis.killSubscribers('health-cut')).toBe(1);
      for (let i = 1; i <= 5; i++) await broadcast.publish('rooms/gap', { data: `missed ${i}` });
      const down = await healthWhen(cut, ({ status }) => status === 503, 1_000);
      expect(down.body.details.sse.backend).toMatchObject({
        available: false,
        commands: 'ready',
        subscribed: false,
        catchUp: { started: 0, resyncs: 0 },
      });

      await stream.ended;
      const up = await healthWhen(cut, ({ status }) => status === 200);
      expect(up.body.details.sse).toMatchObject({
        connections: 0,
        backend: {
          available: true,
          subscribed: true,
          catchUp: { inProgress: false, started: 1, resyncs: 1 },
        },
      });
    },
  );
});
