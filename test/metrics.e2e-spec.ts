import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { BroadcastService, ConnectionRegistry, type SseModuleOptions } from '../lib/index.js';
import { meteredModule } from './fixtures/metrics-app.fixture.js';
import { PrometheusScraper, type Scrape } from './fixtures/metrics-prometheus.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { opened, openRawStream, readBody, type RawStream } from './support/sse-clients.js';
import { backUp, stalledClient } from './support/stalled-client.js';
import { waitUntil } from './support/wait.js';

const SIGNED_IN = { 'x-token': 'ok' };
const ROOMS = '/metered/rooms/:room';
const ATTEMPTS = 'sse_server_connection_attempts_total';

describe.each(ADAPTERS)('OpenTelemetry metrics on %s, scraped by Prometheus', (adapter) => {
  let scraper: PrometheusScraper;
  let running: RunningApp | undefined;
  const streams: RawStream[] = [];

  beforeEach(async () => {
    scraper = await PrometheusScraper.start();
  });
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await running?.close();
    running = undefined;
    await scraper.stop();
  });

  /** Starts the fixture app recording into the scraper's provider (never the global one). */
  const start = async (
    options: SseModuleOptions = {},
    setup: { globalGuard?: boolean; configure?: (app: INestApplication) => void } = {},
  ): Promise<RunningApp> => {
    const metrics = { meterProvider: scraper.provider, ...options.metrics };
    running = await startApp(
      meteredModule({ ...options, metrics }, { globalGuard: setup.globalGuard }),
      adapter,
      setup.configure,
    );
    return running;
  };
  const open = async (path: string, headers: Record<string, string> = SIGNED_IN) => {
    const stream = await openRawStream(`${running?.url}${path}`, headers);
    streams.push(stream);
    return stream;
  };
  /**
   * Scrapes until `check` holds: a refusal is counted once its response has finished, which the
   * client may see a moment before the server does.
   */
  const scrapeUntil = async (check: (scrape: Scrape) => boolean): Promise<Scrape> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const scrape = await scraper.scrape();
      if (check(scrape)) return scrape;
      if (Date.now() > deadline) throw new Error(`Timed out; last scrape:\n${scrape.text}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const attempts = (scrape: Scrape, outcome: string, status?: string) =>
    scrape.value(ATTEMPTS, {
      http_route: ROOMS,
      sse_connection_outcome: outcome,
      ...(status !== undefined && { http_response_status_code: status }),
    });

  it('exposes open streams by route, and the events and bytes written to them', async () => {
    const app = (await start()).app;
    const rooms = [await open('/metered/rooms/1'), await open('/metered/rooms/1')];
    const job = await open('/metered/jobs/7');
    await Promise.all([...rooms, job].map(opened));
    const broadcast = app.get(BroadcastService);
    for (let i = 1; i <= 3; i++) await broadcast.publish('rooms/1', { data: i });
    await Promise.all(rooms.map((stream) => stream.waitFor((events) => events.length === 3)));

    const scrape = await scraper.scrape();
    expect(scrape.value('sse_server_active_streams', { http_route: ROOMS })).toBe(2);
    expect(scrape.value('sse_server_active_streams', { http_route: '/metered/jobs/:id' })).toBe(1);
    expect(attempts(scrape, 'opened', '200')).toBe(2);
    expect(scrape.value('sse_server_events_written_total')).toBe(6);
    const bytes = [...rooms, job].reduce((sum, s) => sum + Buffer.byteLength(s.raw()), 0);
    expect(scrape.value('sse_server_bytes_written_total')).toBe(bytes);
    expect(scrape.find('sse_server_active_streams')[0]?.labels).toMatchObject({
      otel_scope_name: 'nestjs-sse-channels',
      otel_scope_version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
  });

  it('records each publish: its duration, and the streams it reached, by mapped channel', async () => {
    const app = (await start({ metrics: { channelAttribute: (c) => c.split('/')[0] } })).app;
    const subscribers = [await open('/metered/rooms/1'), await open('/metered/rooms/1')];
    await Promise.all(subscribers.map(opened));
    const broadcast = app.get(BroadcastService);
    await broadcast.publish('rooms/1', { data: 1 });
    await broadcast.publish('rooms/2', { data: 2 });
    await expect(broadcast.publish('rooms/1', { event: 'bad\nname', data: 3 })).rejects.toThrow();

    const scrape = await scraper.scrape();
    const rooms = { sse_channel: 'rooms' };
    const duration = 'sse_server_publish_duration_count';
    // Two publishes reached 2 and 0 streams; the refused one has a duration and an error.type.
    expect(scrape.value('sse_server_publish_fan_out_count', rooms)).toBe(2);
    expect(scrape.value('sse_server_publish_fan_out_sum', rooms)).toBe(2);
    expect(scrape.value(duration, rooms)).toBe(3);
    expect(scrape.value(duration, { ...rooms, error_type: 'SSE_INVALID_EVENT' })).toBe(1);
  });

  it('counts open streams by mapped channel, back to 0 once they close', async () => {
    await start({ metrics: { channelAttribute: (c) => c.split('/')[0] } });
    const stream = await open('/metered/rooms/1');
    await opened(stream);
    const labelled = { http_route: ROOMS, sse_channel: 'rooms' };
    expect((await scraper.scrape()).value('sse_server_active_streams', labelled)).toBe(1);
    stream.close();
    await scrapeUntil((s) => s.value('sse_server_active_streams', labelled) === 0);
  });

  it('never fails a publish for a channelAttribute that throws: the event goes out unlabelled', async () => {
    const mapper = (): string => {
      throw new Error('mapper bug');
    };
    const app = (await start({ metrics: { channelAttribute: mapper } })).app;
    const stream = await open('/metered/rooms/1');
    await opened(stream);
    await expect(app.get(BroadcastService).publish('rooms/1', { data: 1 })).resolves.toEqual(
      expect.objectContaining({ delivered: 1 }),
    );
    const scrape = await scraper.scrape();
    expect(scrape.value('sse_server_publish_fan_out_sum')).toBe(1);
    expect(scrape.find('sse_server_publish_fan_out_sum')[0]?.labels.sse_channel).toBeUndefined();
  });

  it('counts the requests its guard refuses as denied, with their status, and no other route', async () => {
    await start();
    expect((await open('/metered/rooms/1', {})).status).toBe(401);
    for (let i = 0; i < 2; i++)
      expect((await open('/metered/rooms/1', { 'x-token': 'wrong' })).status).toBe(403);
    expect((await open('/metered/plain', {})).status).toBe(401);
    await Promise.all(streams.map(readBody));

    const scrape = await scrapeUntil((s) => attempts(s, 'denied') === 3);
    expect(attempts(scrape, 'denied', '401')).toBe(1);
    expect(attempts(scrape, 'denied', '403')).toBe(2);
    // The ordinary route of the same controller is no stream attempt.
    expect(scrape.value(ATTEMPTS)).toBe(3);
  });

  it('counts no refusal of an ordinary route whose path a stream route matches too', async () => {
    await start();
    // What a browser or a health checker sends: no Accept: text/event-stream.
    const plain = await fetch(`${running?.url}/metered/rooms/closed`, { headers: SIGNED_IN });
    expect(plain.status).toBe(503);
    await plain.text();
    expect((await open('/metered/rooms/1', {})).status).toBe(401);
    await Promise.all(streams.map(readBody));

    const scrape = await scrapeUntil((s) => attempts(s, 'denied') === 1);
    expect(scrape.value(ATTEMPTS)).toBe(1);
  });

  it('counts a request once, under the route that served it, whichever route its path matched first', async () => {
    await start();
    const stream = await open('/metered/rooms/lobby');
    // Fastify serves it from `rooms/lobby` (400), Express from `rooms/:room` (a stream).
    const fastify = adapter === 'fastify';
    await (fastify ? readBody(stream) : opened(stream));
    const served = fastify ? '/metered/rooms/lobby' : ROOMS;
    const outcome = fastify ? 'rejected' : 'opened';
    const scrape = await scrapeUntil((s) => s.value(ATTEMPTS) === 1);
    expect(scrape.value(ATTEMPTS, { http_route: served, sse_connection_outcome: outcome })).toBe(1);
    stream.close();
  });

  it('counts refusals by a global guard under a global prefix, with the declared route', async () => {
    await start({}, { globalGuard: true, configure: (app) => app.setGlobalPrefix('api') });
    expect((await open('/api/metered/rooms/1', {})).status).toBe(401);
    const stream = await open('/api/metered/rooms/1');
    await opened(stream);

    const scrape = await scrapeUntil((s) => attempts(s, 'denied', '401') === 1);
    expect(attempts(scrape, 'opened', '200')).toBe(1);
    expect(scrape.value(ATTEMPTS)).toBe(2);
  });

  it('counts handler errors, finished channels and both limits, each with its status', async () => {
    const app = (await start({ maxConnections: 2, maxConnectionsPerUser: 1 })).app;
    expect((await open('/metered/broken')).status).toBe(500);
    await app.get(BroadcastService).finish('jobs/9');
    expect((await open('/metered/jobs/9')).status).toBe(204);
    await opened(await open('/metered/rooms/1', { ...SIGNED_IN, 'x-user': 'ada' }));
    expect((await open('/metered/rooms/1', { ...SIGNED_IN, 'x-user': 'ada' })).status).toBe(429);
    await opened(await open('/metered/rooms/2', { ...SIGNED_IN, 'x-user': 'bob' }));
    expect((await open('/metered/rooms/3', { ...SIGNED_IN, 'x-user': 'eve' })).status).toBe(503);

    const scrape = await scraper.scrape();
    const outcome = (route: string, value: string, status: string) =>
      scrape.value(ATTEMPTS, {
        http_route: route,
        sse_connection_outcome: value,
        http_response_status_code: status,
      });
    expect(outcome('/metered/broken', 'error', '500')).toBe(1);
    expect(outcome('/metered/jobs/:id', 'finished', '204')).toBe(1);
    expect(outcome(ROOMS, 'opened', '200')).toBe(2);
    expect(outcome(ROOMS, 'limited', '429')).toBe(1);
    expect(outcome(ROOMS, 'limited', '503')).toBe(1);
    expect(scrape.value(ATTEMPTS)).toBe(6);
  });

  it('counts ended streams by reason, and how long they lasted', async () => {
    const app = (await start()).app;
    const leaving = await open('/metered/rooms/1');
    const ended = await open('/metered/rooms/2');
    await Promise.all([leaving, ended].map(opened));
    const registry = app.get(ConnectionRegistry);
    leaving.close();
    await waitUntil(
      () => registry.count() === 1,
      () => `${registry.count()} connections`,
    );
    registry.disconnect({ channel: 'rooms/2' });
    await ended.ended;
    await waitUntil(
      () => registry.list({ state: 'closing' }).length === 0 && registry.count() === 0,
      () => JSON.stringify(registry.list()),
    );

    const scrape = await scrapeUntil(
      (s) => s.value('sse_server_disconnects_total', { sse_close_reason: 'disconnect' }) === 1,
    );
    const reason = (value: string) => ({ http_route: ROOMS, sse_close_reason: value });
    expect(scrape.value('sse_server_disconnects_total', reason('client'))).toBe(1);
    expect(scrape.value('sse_server_stream_duration_count', reason('client'))).toBe(1);
    expect(scrape.value('sse_server_stream_duration_count', reason('disconnect'))).toBe(1);
    expect(scrape.value('sse_server_active_streams', { http_route: ROOMS })).toBe(0);
  });

  it('counts replays by outcome, reset with its reason, and the events replayed', async () => {
    const app = (await start()).app;
    const broadcast = app.get(BroadcastService);
    const { id } = await broadcast.publish('rooms/5', { data: 1 });
    for (let i = 2; i <= 3; i++) await broadcast.publish('rooms/5', { data: i });
    const resumed = await open('/metered/rooms/5', { ...SIGNED_IN, 'last-event-id': id });
    await resumed.waitFor((events) => events.length === 2);
    const lost = await open('/metered/rooms/5', { ...SIGNED_IN, 'last-event-id': 'not-an-id' });
    await lost.waitFor((events) => events[0]?.event === 'sse:reset');
    await opened(await open('/metered/rooms/5'));

    const scrape = await scraper.scrape();
    expect(
      scrape.value('sse_server_replays_total', {
        http_route: ROOMS,
        sse_replay_outcome: 'replayed',
      }),
    ).toBe(1);
    expect(
      scrape.value('sse_server_replays_total', {
        http_route: ROOMS,
        sse_replay_outcome: 'reset',
        sse_reset_reason: 'unknown-id',
      }),
    ).toBe(1);
    // The first connect without replayOnConnect replays nothing and is no replay.
    expect(scrape.value('sse_server_replays_total')).toBe(2);
    expect(scrape.value('sse_server_replay_events_total', { http_route: ROOMS })).toBe(2);
  });

  it('counts the events the slow-consumer policy dropped, with the policy', async () => {
    const app = (await start({ slowConsumer: 'drop-oldest', maxBufferedBytes: 16 * 1024 })).app;
    const registry = app.get(ConnectionRegistry);
    const broadcast = app.get(BroadcastService);
    const stalled = await stalledClient(`${running?.url}/metered/pair?token=ok`);
    try {
      await waitUntil(
        () => registry.count({ state: 'open' }) === 1,
        () => 'stalled client not connected',
      );
      const id = registry.list()[0]?.id as string;
      await backUp(broadcast, registry, id);
      for (let i = 0; (registry.get(id)?.droppedEvents ?? 0) < 3; i++) {
        if (i > 1_000) throw new Error('nothing was dropped');
        await broadcast.publish(
          'rooms/shared',
          { data: 'x'.repeat(1024) },
          { conflateKey: `${i}` },
        );
      }
      const scrape = await scraper.scrape();
      expect(
        scrape.value('sse_server_events_dropped_total', {
          sse_slow_consumer_policy: 'drop-oldest',
        }),
      ).toBe(registry.stats().droppedEvents);
      expect(registry.stats().droppedEvents).toBeGreaterThanOrEqual(3);
    } finally {
      stalled.destroy();
    }
  });

  it('reports the backend available', async () => {
    await start();
    const scrape = await scraper.scrape();
    expect(scrape.value('sse_server_backend_available', { sse_backend: 'MemoryBackend' })).toBe(1);
  });

  it('records nothing with metrics.enabled false, not even guard refusals', async () => {
    await start({ metrics: { enabled: false } });
    await opened(await open('/metered/rooms/1'));
    expect((await open('/metered/rooms/1', {})).status).toBe(401);
    await Promise.all(streams.slice(1).map(readBody));
    const scrape = await scraper.scrape();
    expect(scrape.samples.filter((sample) => sample.name.startsWith('sse_'))).toEqual([]);
  });
});
