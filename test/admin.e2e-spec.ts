import { afterEach, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { SseModule } from '../lib/index.js';
import { AdminGuard, hubModule } from './fixtures/hub.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { opened, openRawStream, readBody } from './support/sse-clients.js';

const ADMIN = { 'x-admin': 'yes' };

describe.each(ADAPTERS)('admin routes on %s', (adapter) => {
  let running: RunningApp;
  afterEach(() => running?.close());

  const start = () =>
    startApp(
      hubModule({}, { admin: { path: 'admin/sse', guards: [AdminGuard], statsIntervalMs: 100 } }),
      adapter,
    );

  it('serves registry stats and connections as JSON behind the guards', async () => {
    running = await start();
    const stream = await openRawStream(`${running.url}/hub/rooms/5`, { 'x-user': 'ada' });
    await opened(stream);
    const denied = await openRawStream(`${running.url}/admin/sse/stats`);
    expect(denied.status).toBe(403);
    const stats = await openRawStream(`${running.url}/admin/sse/stats`, ADMIN);
    expect(stats.status).toBe(200);
    expect(JSON.parse(await readBody(stats))).toMatchObject({
      connections: 1,
      channels: { 'rooms/5': 1 },
      users: { ada: 1 },
    });
    const list = await openRawStream(`${running.url}/admin/sse/connections?channel=rooms/5`, ADMIN);
    expect(JSON.parse(await readBody(list))).toEqual([
      expect.objectContaining({ channels: ['rooms/5'], userId: 'ada', state: 'open' }),
    ]);
    const none = await openRawStream(`${running.url}/admin/sse/connections?userId=bob`, ADMIN);
    expect(JSON.parse(await readBody(none))).toEqual([]);
    stream.close();
  });

  it.each([
    ['state=bogus', 'state', 'one of connecting, open, closing, closed', '"bogus"'],
    [
      'state=open&state=closed',
      'state',
      'one of connecting, open, closing, closed',
      '["open","closed"]',
    ],
    ['channel=', 'channel', 'a non-empty string', '""'],
    ['userId=a&userId=b', 'userId', 'a non-empty string', '["a","b"]'],
  ])('answers 400 naming the filter for connections?%s', async (query, parameter, rule, got) => {
    running = await start();
    const answer = await openRawStream(`${running.url}/admin/sse/connections?${query}`, ADMIN);
    expect(answer.status).toBe(400);
    expect(JSON.parse(await readBody(answer))).toMatchObject({
      statusCode: 400,
      message: `Query parameter "${parameter}" must be ${rule} (got ${got})`,
    });
  });

  it('streams stats as SSE, at once and then every interval', async () => {
    running = await start();
    const denied = await openRawStream(`${running.url}/admin/sse/stats/stream`);
    expect(denied.status).toBe(403);
    const live = await openRawStream(`${running.url}/admin/sse/stats/stream`, ADMIN);
    expect(live.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = await live.waitFor((received) => received.length >= 3);
    expect(events.every((e) => e.event === 'stats')).toBe(true);
    // The admin stream counts itself.
    expect(JSON.parse(events[0]?.data ?? '{}')).toMatchObject({ connections: 1 });
    live.close();
  });

  it('takes the admin option beside useFactory in forRootAsync', async () => {
    @Module({
      imports: [
        SseModule.forRootAsync({
          admin: { path: 'ops/sse', guards: [AdminGuard] },
          useFactory: () => ({ heartbeatIntervalMs: 1000 }),
        }),
      ],
      providers: [AdminGuard],
    })
    class AsyncAdminModule {}
    running = await startApp(AsyncAdminModule, adapter);
    const stats = await openRawStream(`${running.url}/ops/sse/stats`, ADMIN);
    expect(JSON.parse(await readBody(stats))).toMatchObject({ connections: 0 });
  });

  it('is off by default', async () => {
    running = await startApp(hubModule(), adapter);
    const stats = await openRawStream(`${running.url}/admin/sse/stats`, ADMIN);
    expect(stats.status).toBe(404);
  });
});

describe('admin options', () => {
  it('refuses admin routes without a guard, naming the option', () => {
    expect(() => SseModule.forRoot({ admin: { path: 'admin/sse', guards: [] } })).toThrow(
      'admin.guards must list at least one guard',
    );
    expect(() => SseModule.forRoot({ admin: { path: '', guards: [AdminGuard] } })).toThrow(
      'admin.path must be a non-empty string',
    );
    expect(() =>
      SseModule.forRoot({ admin: { path: 'a', guards: [AdminGuard], statsIntervalMs: 5 } }),
    ).toThrow('admin.statsIntervalMs must be an integer from 100 to 3600000 (got 5)');
  });
});
