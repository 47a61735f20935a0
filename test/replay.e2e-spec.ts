import { afterEach, describe, expect, it } from '@jest/globals';
import { BroadcastService, ConnectionRegistry } from '../lib/index.js';
import { hubModule } from './fixtures/hub.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { readBodyChunks } from './support/body-chunks.js';
import { SlowReplayBackend } from './support/replay-backends.js';
import { opened, openRawStream, type RawStream } from './support/sse-clients.js';

const datas = (stream: RawStream) => stream.events.map((e) => e.data);

describe.each(ADAPTERS)('Last-Event-ID replay on %s', (adapter) => {
  let running: RunningApp;
  let broadcast: BroadcastService;
  const start = async (...args: Parameters<typeof hubModule>) => {
    running = await startApp(hubModule(...args), adapter);
    broadcast = running.app.get(BroadcastService);
  };
  afterEach(() => running?.close());

  it('hands a reconnecting stream its preamble and missed events in one piece', async () => {
    await start();
    const first = await openRawStream(`${running.url}/hub/rooms/r`);
    await opened(first);
    await broadcast.publish('rooms/r', { data: 'seen' });
    await first.waitFor((events) => events.length === 1);
    first.close();
    const missed = 50;
    for (let i = 0; i < missed; i++) await broadcast.publish('rooms/r', { data: `missed ${i}` });
    const chunks = await readBodyChunks(
      `${running.url}/hub/rooms/r`,
      { accept: 'text/event-stream', 'last-event-id': first.events[0]?.id as string },
      (body) => body.includes(`data: missed ${missed - 1}\n`),
    );
    // Written one by one, each event would be a chunk of its own, and a socket write.
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatch(/^retry: \d+\n\n/);
    expect(chunks[0]?.match(/^data: missed \d+$/gm)).toHaveLength(missed);
  });

  it('replays the missed events in order before live ones (Last-Event-ID header)', async () => {
    await start();
    const first = await openRawStream(`${running.url}/hub/rooms/r`);
    await opened(first);
    await broadcast.publish('rooms/r', { data: 'a' });
    await first.waitFor((events) => events.length === 1);
    first.close();
    const lastId = first.events[0]?.id as string;
    await broadcast.publish('rooms/r', { data: 'b' });
    await broadcast.publish('rooms/r', { event: 'edit', data: 'c' });
    const again = await openRawStream(`${running.url}/hub/rooms/r`, { 'last-event-id': lastId });
    await again.waitFor((events) => events.length === 2);
    await broadcast.publish('rooms/r', { data: 'd' });
    await again.waitFor((events) => events.length === 3);
    expect(again.events.map((e) => [e.event, e.data])).toEqual([
      [undefined, 'b'],
      ['edit', 'c'],
      [undefined, 'd'],
    ]);
    again.close();
  });

  it('accepts the id as a lastEventId query parameter for clients that cannot set headers', async () => {
    await start();
    const { id } = await broadcast.publish('rooms/q', { data: 'a' });
    await broadcast.publish('rooms/q', { data: 'b' });
    const stream = await openRawStream(`${running.url}/hub/rooms/q?lastEventId=${id}`);
    await stream.waitFor((events) => events.length === 1);
    expect(datas(stream)).toEqual(['b']);
    stream.close();
  });

  it('sends nothing extra when the client missed nothing', async () => {
    await start();
    const { id } = await broadcast.publish('rooms/n', { data: 'a' });
    const stream = await openRawStream(`${running.url}/hub/rooms/n`, { 'last-event-id': id });
    await opened(stream);
    await broadcast.publish('rooms/n', { data: 'live' });
    await stream.waitFor((events) => events.length === 1);
    expect(datas(stream)).toEqual(['live']);
    stream.close();
  });

  it.each([
    ['an unknown id', 'not-an-id', 'unknown-id'],
    ['an id evicted from history', 'EVICTED', 'evicted'],
  ])('sends a reset event for %s instead of a partial replay', async (_, given, reason) => {
    await start({ history: { size: 2 } });
    const { id: oldest } = await broadcast.publish('rooms/e', { data: 1 });
    for (let i = 2; i <= 3; i++) await broadcast.publish('rooms/e', { data: i });
    const { id: newest } = await broadcast.publish('rooms/e', { data: 4 });
    const lastEventId = given === 'EVICTED' ? oldest : given;
    const stream = await openRawStream(`${running.url}/hub/rooms/e`, {
      'last-event-id': lastEventId,
    });
    expect(stream.status).toBe(200);
    await stream.waitFor((events) => events.length === 1);
    // With the channel's position, so a reconnect resumes from there, not from the same id.
    expect(stream.events[0]).toEqual({
      event: 'sse:reset',
      data: JSON.stringify({ reason }),
      id: newest,
    });
    await broadcast.publish('rooms/e', { data: 'live' });
    await stream.waitFor((events) => events.length === 2);
    expect(stream.events[1]?.data).toBe('live');
    stream.close();
  });

  it('ignores a malformed or oversized Last-Event-ID without echoing or logging it', async () => {
    await start({ replayOnConnect: 1 });
    await broadcast.publish('rooms/m', { data: 'latest' });
    const oversized = 'x'.repeat(3000);
    const big = await openRawStream(`${running.url}/hub/recent/m`, { 'last-event-id': oversized });
    const weird = await openRawStream(`${running.url}/hub/recent/m?lastEventId=%00%01evil`);
    for (const stream of [big, weird]) {
      expect(stream.status).toBe(200);
      // Treated as a first connect: the route's replayOnConnect applies, no reset.
      await stream.waitFor((events) => events.length === 1);
      expect(datas(stream)).toEqual(['latest']);
      expect(JSON.stringify(stream.headers)).not.toContain('xxxxxxxx');
      expect(stream.raw()).not.toContain('evil');
      stream.close();
    }
    expect(running.logs.text()).not.toContain('xxxxxxxx');
    expect(running.logs.text()).not.toContain('evil');
  });

  it('sends the last N events on a first connect with replayOnConnect', async () => {
    await start();
    for (let i = 1; i <= 5; i++) await broadcast.publish('rooms/p', { data: i });
    const stream = await openRawStream(`${running.url}/hub/recent/p`);
    await stream.waitFor((events) => events.length === 3);
    await broadcast.publish('rooms/p', { data: 6 });
    await stream.waitFor((events) => events.length === 4);
    expect(datas(stream)).toEqual(['3', '4', '5', '6']);
    stream.close();
  });

  it('sends no reset to a stream without channels, whose Last-Event-ID only the handler uses', async () => {
    await start();
    const stream = await openRawStream(`${running.url}/hub/inbox`, {
      'last-event-id': 'from-elsewhere',
    });
    await stream.waitFor(() => stream.raw().includes('retry:'));
    const [info] = running.app.get(ConnectionRegistry).list();
    await broadcast.sendTo(info?.id as string, { data: 'direct' });
    await stream.waitFor((events) => events.length === 1);
    expect(datas(stream)).toEqual(['direct']);
    stream.close();
  });

  it('replays across all the channels of a connection, each from where the client was in it', async () => {
    await start();
    const first = await openRawStream(`${running.url}/hub/both`);
    await opened(first);
    await broadcast.publish('a', { data: 'a1' });
    await broadcast.publish('b', { data: 'b1' });
    await first.waitFor((events) => events.length === 2);
    first.close();
    // The id of a stream on several channels holds a position for each of them.
    const id = first.lastEventId() as string;
    expect(id.split('.')).toHaveLength(2);
    await broadcast.publish('b', { data: 'b2' });
    await broadcast.publish('a', { data: 'a2' });
    const stream = await openRawStream(`${running.url}/hub/both`, { 'last-event-id': id });
    await stream.waitFor((events) => events.length === 2);
    expect(datas(stream)).toEqual(['b2', 'a2']);
    await broadcast.publish('a', { data: 'a3' });
    await stream.waitFor((events) => events.length === 3);
    expect(datas(stream)).toEqual(['b2', 'a2', 'a3']);
    stream.close();
  });

  it('resets a stream on several channels that resumes with the id of one channel', async () => {
    await start();
    const { id } = await broadcast.publish('a', { data: 'a1' });
    const stream = await openRawStream(`${running.url}/hub/both`, { 'last-event-id': id });
    const [reset] = await stream.waitFor((events) => events.length === 1);
    expect(reset).toMatchObject({ event: 'sse:reset', data: '{"reason":"unknown-id"}' });
    stream.close();
  });

  it('has no gap and no duplicate across reconnects while 10,000 events are published', async () => {
    // Its history reads take macrotasks, so publishes land while each reconnect replays.
    const backend = new SlowReplayBackend();
    await start({ history: { size: 10_000 }, backend });
    const TOTAL = 10_000;
    const received: number[] = [];
    let lastEventId: string | undefined;
    let sessions = 1;
    // Only the first connection comes without an id, and it is open before publishing starts.
    let stream = await openRawStream(`${running.url}/hub/rooms/flood`);
    await opened(stream);
    // The client keeps reconnecting with the id of the last event it saw, every 300 events.
    const client = (async () => {
      for (;;) {
        await stream.waitFor(
          (events) => events.length >= 300 || received.length + events.length >= TOTAL,
          20_000,
        );
        stream.close();
        for (const event of stream.events) received.push(Number(event.data));
        lastEventId = stream.events.at(-1)?.id ?? lastEventId;
        if (received.length >= TOTAL) return;
        stream = await openRawStream(`${running.url}/hub/rooms/flood`, {
          'last-event-id': lastEventId as string,
        });
        sessions++;
      }
    })();
    for (let i = 0; i < TOTAL; i++) {
      await broadcast.publish('rooms/flood', { data: i });
      // Let sockets and reconnects run between bursts, so reconnects land mid-stream.
      if (i % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await client;
    expect(sessions).toBeGreaterThanOrEqual(TOTAL / 300);
    // Replays overlapped publishes: some live events were held and skipped as replayed, others
    // held and written after the replay.
    expect(backend.covered.length).toBeGreaterThan(0);
    expect(backend.heldOnly.length).toBeGreaterThan(0);
    expect(received).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
  });
});
