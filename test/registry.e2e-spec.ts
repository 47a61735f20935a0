import { afterEach, describe, expect, it } from '@jest/globals';
import type { SseConnectionEvent } from '../lib/index.js';
import { BroadcastService, ConnectionRegistry } from '../lib/index.js';
import type net from 'node:net';
import { hubModule, OpeningGate } from './fixtures/hub.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { opened, openRawStream, readBody } from './support/sse-clients.js';
import { backUp, stalledClient } from './support/stalled-client.js';
import { waitUntil } from './support/wait.js';

describe.each(ADAPTERS)('ConnectionRegistry on %s', (adapter) => {
  let running: RunningApp;
  let registry: ConnectionRegistry;
  let stalled: net.Socket | undefined;
  const start = async (...args: Parameters<typeof hubModule>) => {
    running = await startApp(hubModule(...args), adapter);
    registry = running.app.get(ConnectionRegistry);
  };
  afterEach(async () => {
    stalled?.destroy();
    stalled = undefined;
    await running?.close();
  });

  it('describes each connection', async () => {
    await start();
    const stream = await openRawStream(`${running.url}/hub/rooms/9`, {
      'x-user': 'ada',
      'user-agent': 'probe/1.0',
    });
    await opened(stream);
    const before = Date.now();
    await running.app.get(BroadcastService).publish('rooms/9', { data: 'hello' });
    await stream.waitFor((events) => events.length === 1);
    const [info] = registry.list();
    expect(info).toMatchObject({
      channels: ['rooms/9'],
      userId: 'ada',
      remoteAddress: expect.stringMatching(/127\.0\.0\.1/),
      userAgent: 'probe/1.0',
      state: 'open',
      eventsSent: 1,
      droppedEvents: 0,
    });
    expect(info?.bytesSent).toBe(Buffer.byteLength(stream.raw()));
    expect(info?.bufferedBytes).toBe(0);
    expect(info?.connectedAt.getTime()).toBeLessThanOrEqual(before);
    expect(info?.lastEventAt?.getTime()).toBeGreaterThanOrEqual(before);
    expect(registry.get(info?.id as string)).toEqual(info);
    stream.close();
  });

  it('filters by channel, user and state', async () => {
    await start();
    const streams = await Promise.all([
      openRawStream(`${running.url}/hub/rooms/1`, { 'x-user': 'ada' }),
      openRawStream(`${running.url}/hub/rooms/1`, { 'x-user': 'bob' }),
      openRawStream(`${running.url}/hub/rooms/2`, { 'x-user': 'ada' }),
      openRawStream(`${running.url}/hub/both`),
    ]);
    await Promise.all(streams.map(opened));
    expect(registry.count()).toBe(4);
    expect(registry.count({ channel: 'rooms/1' })).toBe(2);
    expect(registry.count({ userId: 'ada' })).toBe(2);
    expect(registry.count({ channel: 'rooms/1', userId: 'ada' })).toBe(1);
    expect(registry.count({ channel: 'b' })).toBe(1);
    expect(registry.count({ state: 'open' })).toBe(4);
    expect(registry.list({ userId: 'bob' }).map((c) => c.channels)).toEqual([['rooms/1']]);
    for (const s of streams) s.close();
  });

  it('reports totals per channel and user, drops and disconnects by reason', async () => {
    await start();
    const a = await openRawStream(`${running.url}/hub/rooms/1`, { 'x-user': 'ada' });
    const b = await openRawStream(`${running.url}/hub/rooms/1`);
    await Promise.all([opened(a), opened(b)]);
    await running.app.get(BroadcastService).publish('rooms/1', { data: 'x' });
    await a.waitFor((events) => events.length === 1);
    b.close();
    await waitUntil(
      () => registry.count() === 1,
      () => `${registry.count()} connections`,
    );
    registry.disconnect({ userId: 'ada' });
    await a.ended;
    await waitUntil(
      () => registry.count() === 0,
      () => `${registry.count()} connections`,
    );
    const stats = registry.stats();
    expect(stats).toMatchObject({
      connections: 0,
      channels: {},
      users: {},
      eventsSent: 2,
      droppedEvents: 0,
      disconnects: { client: 1, disconnect: 1 },
    });
    expect(stats.bytesSent).toBeGreaterThan(0);
  });

  it('counts live connections per channel and user in stats', async () => {
    await start();
    const streams = await Promise.all([
      openRawStream(`${running.url}/hub/rooms/1`, { 'x-user': 'ada' }),
      openRawStream(`${running.url}/hub/rooms/1`, { 'x-user': 'ada' }),
      openRawStream(`${running.url}/hub/both`),
    ]);
    await Promise.all(streams.map(opened));
    expect(registry.stats()).toMatchObject({
      connections: 3,
      channels: { 'rooms/1': 2, a: 1, b: 1 },
      users: { ada: 2 },
    });
    for (const s of streams) s.close();
  });

  it('takes the user id from req.user.sub when req.user.id is absent, and prefers id', async () => {
    await start();
    const bySub = await openRawStream(`${running.url}/hub/rooms/1`, { 'x-sub': 'jwt-7' });
    const both = await openRawStream(`${running.url}/hub/rooms/1`, {
      'x-user': 'ada',
      'x-sub': 'jwt-8',
    });
    await Promise.all([opened(bySub), opened(both)]);
    expect(registry.list().map((c) => c.userId)).toEqual(['jwt-7', 'ada']);
    expect(await running.app.get(BroadcastService).sendToUser('jwt-7', { data: 'hi' })).toEqual({
      delivered: 1,
    });
    await bySub.waitFor((events) => events.length === 1);
    bySub.close();
    both.close();
  });

  it('lists a stream as connecting while its handler runs, and counts it against the limits', async () => {
    await start({ maxConnections: 1 });
    const pending = openRawStream(`${running.url}/hub/opening/c`);
    await waitUntil(
      () => registry.count({ state: 'connecting' }) === 1,
      () => JSON.stringify(registry.list()),
    );
    expect(registry.list()).toEqual([expect.objectContaining({ state: 'connecting' })]);
    expect(registry.count()).toBe(1);
    expect(registry.stats()).toMatchObject({ connections: 1, channels: { 'rooms/c': 1 } });
    const refused = await openRawStream(`${running.url}/hub/rooms/c`);
    expect(refused.status).toBe(503);
    running.app.get(OpeningGate).open();
    const stream = await pending;
    await opened(stream);
    expect(registry.list()).toEqual([expect.objectContaining({ state: 'open' })]);
    stream.close();
  });

  it('lists a stream the server ended that is still flushing as closing, outside count() and stats()', async () => {
    await start();
    stalled = await stalledClient(`${running.url}/hub/pair`);
    await waitUntil(
      () => registry.count() === 1,
      () => 'stalled client not connected',
    );
    const id = registry.list()[0]?.id as string;
    await backUp(running.app.get(BroadcastService), registry, id);
    expect(registry.disconnect(id)).toBe(1);
    // What was queued still has to reach the client, which does not read: the stream is closing.
    expect(registry.get(id)?.state).toBe('closing');
    expect(registry.count({ state: 'closing' })).toBe(1);
    expect(registry.list({ state: 'closing' }).map((c) => c.id)).toEqual([id]);
    // Live views agree: it no longer counts, in total, per channel or against the limits.
    expect(registry.count()).toBe(0);
    expect(registry.list()).toEqual([]);
    expect(registry.count({ channel: 'flood' })).toBe(0);
    expect(registry.stats()).toMatchObject({ connections: 0, channels: {} });
    stalled.destroy();
    await waitUntil(
      () => registry.get(id) === undefined,
      () => `${id} is ${registry.get(id)?.state}`,
    );
    expect(registry.stats().disconnects).toEqual({ disconnect: 1 });
  });

  it('admits exactly maxConnections of 50 concurrent requests and answers the rest 503', async () => {
    await start({ maxConnections: 10 });
    const streams = await Promise.all(
      Array.from({ length: 50 }, () => openRawStream(`${running.url}/hub/rooms/rush`)),
    );
    const statuses = streams.map((s) => s.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 503)).toHaveLength(40);
    expect(registry.count()).toBe(10);
    for (const s of streams) s.close();
  });

  it('emits connected and disconnected (with the reason) events', async () => {
    await start();
    const seen: SseConnectionEvent[] = [];
    const subscription = registry.events$.subscribe((event) => seen.push(event));
    const stream = await openRawStream(`${running.url}/hub/rooms/1`);
    await opened(stream);
    const id = registry.list()[0]?.id as string;
    expect(registry.disconnect(id, 'disconnect')).toBe(1);
    await stream.ended;
    await waitUntil(
      () => seen.length === 2,
      () => JSON.stringify(seen),
    );
    subscription.unsubscribe();
    expect(
      seen.map((e) => [e.type, e.connection.id, 'reason' in e ? e.reason : undefined]),
    ).toEqual([
      ['connected', id, undefined],
      ['disconnected', id, 'disconnect'],
    ]);
  });

  it('completes events$ when the application shuts down', async () => {
    await start();
    let completed = false;
    registry.events$.subscribe({ complete: () => (completed = true) });
    await running.close();
    expect(completed).toBe(true);
  });

  it('answers 503 with a JSON reason past maxConnections, before any stream byte', async () => {
    await start({ maxConnections: 2 });
    const streams = [
      await openRawStream(`${running.url}/hub/rooms/1`),
      await openRawStream(`${running.url}/hub/rooms/1`),
    ];
    await Promise.all(streams.map(opened));
    const refused = await openRawStream(`${running.url}/hub/rooms/1`);
    expect(refused.status).toBe(503);
    expect(JSON.parse(await readBody(refused))).toMatchObject({
      statusCode: 503,
      message: 'This server has reached its limit of 2 event streams',
    });
    streams[0]?.close();
    await waitUntil(
      () => registry.count() === 1,
      () => `${registry.count()}`,
    );
    const admitted = await openRawStream(`${running.url}/hub/rooms/1`);
    expect(admitted.status).toBe(200);
    for (const s of [...streams, admitted]) s.close();
  });

  it('answers 429 with a JSON reason past maxConnectionsPerUser', async () => {
    await start({ maxConnectionsPerUser: 1 });
    const first = await openRawStream(`${running.url}/hub/rooms/1`, { 'x-user': 'ada' });
    await opened(first);
    const second = await openRawStream(`${running.url}/hub/rooms/1`, { 'x-user': 'ada' });
    expect(second.status).toBe(429);
    expect(JSON.parse(await readBody(second))).toMatchObject({
      message: 'You already have 1 open event streams',
    });
    const other = await openRawStream(`${running.url}/hub/rooms/1`, { 'x-user': 'bob' });
    expect(other.status).toBe(200);
    first.close();
    other.close();
  });

  it('ends streams after maxDurationMs; the client reconnects and misses nothing', async () => {
    await start({ maxDurationMs: 1000, heartbeatIntervalMs: 100 });
    const broadcast = running.app.get(BroadcastService);
    const stream = await openRawStream(`${running.url}/hub/rooms/d`);
    await opened(stream);
    const started = Date.now();
    await broadcast.publish('rooms/d', { data: 'before' });
    await stream.ended;
    const lived = Date.now() - started;
    expect(lived).toBeGreaterThanOrEqual(900);
    expect(lived).toBeLessThan(1500);
    await broadcast.publish('rooms/d', { data: 'while away' });
    const again = await openRawStream(`${running.url}/hub/rooms/d`, {
      'last-event-id': stream.events[0]?.id as string,
    });
    await again.waitFor((events) => events.length === 1);
    expect(again.events[0]?.data).toBe('while away');
    again.close();
    expect(registry.stats().disconnects['max-duration']).toBe(1);
  });
});
