import { afterEach, describe, expect, it } from '@jest/globals';
import { IsInt, IsString, Length, Min } from 'class-validator';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { connect, type SseReset, type SseStream } from '../lib/client/index.js';
import {
  BroadcastService,
  ConnectionRegistry,
  SseEventError,
  SsePayloadValidationError,
  SseUnknownEventIdError,
} from '../lib/index.js';
import { hubModule } from './fixtures/hub.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';
import { recordStream } from '../lib/testing/index.js';
import { opened, openRawStream } from './support/sse-clients.js';
import { waitUntil } from './support/wait.js';

/** The header a client sends back for `id`: its UTF-8 bytes, which Node hands over as latin1. */
const headerBytes = (id: string) => Buffer.from(id, 'utf8').toString('latin1');

/** Ids at the edges of what a client can send back intact. */
const EDGE_IDS = ['x'.repeat(128), 'café-😀', 'order 7 of 9', 'a\u0085b', '~!@#$%^&*()'];

class ChatMessage {
  @IsString()
  @Length(1, 20)
  text!: string;

  @IsInt()
  @Min(0)
  priority!: number;
}

describe.each(ADAPTERS)('BroadcastService on %s', (adapter) => {
  let running: RunningApp;
  let broadcast: BroadcastService;
  const start = async (...args: Parameters<typeof hubModule>) => {
    running = await startApp(hubModule(...args), adapter);
    broadcast = running.app.get(BroadcastService);
  };
  afterEach(() => running?.close());

  it('assigns short ASCII ids that increase within a channel', async () => {
    await start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await broadcast.publish('rooms/1', { data: i })).id);
    for (const id of ids) expect(id).toMatch(/^\d+-\d+$/);
    const seqs = ids.map((id) => Number(id.split('-')[1]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(5);
  });

  it('refuses an id on publish (a channel event is identified by its position) and unencodable data, sending nothing', async () => {
    await start();
    const stream = await openRawStream(`${running.url}/hub/rooms/1`);
    await opened(stream);
    const withId = broadcast.publish('rooms/1', { id: 'order-7', data: 'x' } as never);
    await expect(withId).rejects.toThrow(SseEventError);
    await expect(withId).rejects.toThrow(/^publish\(\) assigns the id .*remove "id"/);
    await expect(broadcast.publish('rooms/1', { data: 10n })).rejects.toThrow(
      /cannot be JSON-encoded/,
    );
    await broadcast.publish('rooms/1', { data: 'after' });
    await stream.waitFor((events) => events.length === 1);
    expect(stream.events.map((e) => e.data)).toEqual(['after']);
    expect(await broadcast.history('rooms/1')).toHaveLength(1);
    stream.close();
  });

  it.each([
    ['empty', ''],
    ['longer than 128 UTF-16 code units', 'x'.repeat(129)],
    ['with a leading space, which the header would lose', ' x'],
    ['with a control character, which Node refuses in a header', 'a\x01b'],
    ['with an unpaired surrogate, which has no UTF-8 form', 'a\ud800'],
  ])('rejects an id %s, naming the field and the rule, and sends nothing', async (_, badId) => {
    await start();
    const stream = await openRawStream(`${running.url}/hub/greet/1`);
    const [welcome] = await stream.waitFor((events) => events.length === 1);
    const connectionId = JSON.parse(welcome?.data ?? '{}').connectionId as string;
    const rule =
      'SSE event field "id" must be 1 to 128 UTF-16 code units long (its string length) without control characters, unpaired surrogates or a leading or trailing space, so that a client can send it back as Last-Event-ID';
    for (const attempt of [
      broadcast.sendTo(connectionId, { id: badId, data: 'no' }),
      broadcast.sendToUser('ada', { id: badId, data: 'no' }),
    ]) {
      await expect(attempt).rejects.toThrow(rule);
      await expect(attempt).rejects.toMatchObject({ name: 'SseEventError', field: 'id' });
    }
    await broadcast.publish('rooms/1', { data: 'after' });
    await stream.waitFor((events) => events.length === 2);
    expect(stream.events.map((e) => e.data)).toEqual([welcome?.data, 'after']);
    expect(await broadcast.history('rooms/1')).toHaveLength(1);
    stream.close();
  });

  it.each(EDGE_IDS)(
    'reads back the id %j of a targeted event, sent as a header or a query, and resets a channel stream resuming from it',
    async (id) => {
      await start();
      const greeted = await openRawStream(`${running.url}/hub/greet/e`);
      const [welcome] = await greeted.waitFor((events) => events.length === 1);
      const connectionId = JSON.parse(welcome?.data ?? '{}').connectionId as string;
      await broadcast.sendTo(connectionId, { id, data: 'direct' });
      await greeted.waitFor((events) => events.length === 2);
      expect(greeted.lastEventId()).toBe(id);
      greeted.close();
      // The id names no position of 'rooms/e': the client cannot resume, and is told so (an id
      // read wrongly would count as absent: a first connect, told nothing).
      const byHeader = await openRawStream(`${running.url}/hub/rooms/e`, {
        'last-event-id': headerBytes(id),
      });
      const byQuery = await openRawStream(
        `${running.url}/hub/rooms/e?lastEventId=${encodeURIComponent(id)}`,
      );
      for (const stream of [byHeader, byQuery]) {
        const [reset] = await stream.waitFor((events) => events.length === 1);
        expect(reset).toMatchObject({ event: 'sse:reset', data: '{"reason":"unknown-id"}' });
        stream.close();
      }
    },
  );

  it('encodes a publish once: every subscriber socket is handed the same Buffer', async () => {
    await start();
    // What each server-side socket is asked to write, observed on the way through.
    const written: unknown[][] = [];
    (running.app.getHttpServer() as Server).on('connection', (socket: Socket) => {
      const chunks: unknown[] = [];
      written.push(chunks);
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      socket.write = ((...args: unknown[]) => {
        chunks.push(args[0]);
        return write(...args);
      }) as Socket['write'];
    });
    const streams = await Promise.all(
      Array.from({ length: 5 }, () => openRawStream(`${running.url}/hub/rooms/once`)),
    );
    await Promise.all(streams.map(opened));
    await broadcast.publish('rooms/once', { data: 'the same bytes' });
    await Promise.all(streams.map((s) => s.waitFor((events) => events.length === 1)));
    const handed = written.map((chunks) =>
      chunks.filter((chunk) => Buffer.isBuffer(chunk) && chunk.includes('the same bytes')),
    );
    expect(handed.map((buffers) => buffers.length)).toEqual([1, 1, 1, 1, 1]);
    expect(new Set(handed.flat()).size).toBe(1);
    for (const s of streams) s.close();
  });

  it('rejects an invalid channel name', async () => {
    await start();
    await expect(broadcast.publish('', { data: 1 })).rejects.toThrow('Invalid SSE channel name ""');
    await expect(broadcast.publish('a\nb', { data: 1 })).rejects.toThrow(
      /Invalid SSE channel name/,
    );
  });

  it('leaves out the connections listed in exclude', async () => {
    await start();
    const sender = await openRawStream(`${running.url}/hub/greet/7`);
    const other = await openRawStream(`${running.url}/hub/greet/7`);
    const [welcome] = await sender.waitFor((events) => events.length === 1);
    const senderId = JSON.parse(welcome?.data ?? '{}').connectionId as string;
    await other.waitFor((events) => events.length === 1);
    const result = await broadcast.publish('rooms/7', { data: 'hello' }, { exclude: [senderId] });
    expect(result.delivered).toBe(1);
    await other.waitFor((events) => events.length === 2);
    await broadcast.publish('rooms/7', { data: 'to all' });
    await sender.waitFor((events) => events.length === 2);
    expect(sender.events.map((e) => e.data)).toEqual([welcome?.data, 'to all']);
    sender.close();
    other.close();
  });

  it('sends to one connection, without an id, and reports 0 for a connection that is gone', async () => {
    await start();
    const stream = await openRawStream(`${running.url}/hub/greet/1`);
    const [welcome] = await stream.waitFor((events) => events.length === 1);
    const id = JSON.parse(welcome?.data ?? '{}').connectionId as string;
    expect(await broadcast.sendTo(id, { event: 'private', data: { n: 1 } })).toEqual({
      delivered: 1,
    });
    const [, event] = await stream.waitFor((events) => events.length === 2);
    expect(event).toEqual({ event: 'private', data: '{"n":1}', id: undefined });
    stream.close();
    await stream.ended;
    expect(await broadcast.sendTo('no-such-connection', { data: 'x' })).toEqual({ delivered: 0 });
  });

  it('sends to every connection of a user, identified by req.user.id', async () => {
    await start();
    const phone = await openRawStream(`${running.url}/hub/inbox`, { 'x-user': 'ada' });
    const laptop = await openRawStream(`${running.url}/hub/inbox`, { 'x-user': 'ada' });
    const stranger = await openRawStream(`${running.url}/hub/inbox`, { 'x-user': 'bob' });
    await Promise.all([phone, laptop, stranger].map(opened));
    expect(await broadcast.sendToUser('ada', { data: 'ping' })).toEqual({ delivered: 2 });
    await phone.waitFor((events) => events.length === 1);
    await laptop.waitFor((events) => events.length === 1);
    expect(stranger.events).toEqual([]);
    expect(running.app.get(ConnectionRegistry).count({ userId: 'ada' })).toBe(2);
    for (const s of [phone, laptop, stranger]) s.close();
  });

  it('uses the userId option to identify users', async () => {
    await start({ userId: (request) => request.headers['x-tenant-user'] as string | undefined });
    const stream = await openRawStream(`${running.url}/hub/inbox`, { 'x-tenant-user': 't1:42' });
    await opened(stream);
    expect(running.app.get(ConnectionRegistry).list()[0]?.userId).toBe('t1:42');
    stream.close();
  });

  it('validates payloads against the channel DTO and sends nothing when they fail', async () => {
    await start({ channels: [{ pattern: 'rooms/:room', payload: ChatMessage }] });
    const stream = await openRawStream(`${running.url}/hub/rooms/3`);
    await opened(stream);
    const failure = broadcast.publish('rooms/3', { data: { text: '', priority: -1 } });
    await expect(failure).rejects.toThrow(SsePayloadValidationError);
    await expect(failure).rejects.toThrow(
      /text must be longer than or equal to 1 characters.*priority must not be less than 0/,
    );
    await expect(
      broadcast.publish('rooms/3', { data: { text: 'hi', priority: 1 } }),
    ).resolves.toMatchObject({
      delivered: 1,
    });
    // Another channel has no DTO.
    await broadcast.publish('other', { data: { anything: true } });
    await stream.waitFor((events) => events.length === 1);
    expect(stream.events.map((e) => e.data)).toEqual(['{"text":"hi","priority":1}']);
    expect(await broadcast.history('rooms/3')).toHaveLength(1);
    stream.close();
  });

  it('returns history oldest first, after an id, bounded by limit and by history.size', async () => {
    await start({ history: { size: 5 } });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++)
      ids.push((await broadcast.publish('rooms/h', { event: 'n', data: i })).id);
    const all = await broadcast.history<number>('rooms/h');
    expect(all.map((e) => e.data)).toEqual([3, 4, 5, 6, 7]);
    expect(all[0]).toEqual({ id: ids[3], event: 'n', data: 3 });
    expect(
      (await broadcast.history('rooms/h', { afterId: ids[5], limit: 1 })).map((e) => e.data),
    ).toEqual([6]);
    expect((await broadcast.history('rooms/h', { limit: 2 })).map((e) => e.data)).toEqual([6, 7]);
    await expect(broadcast.history('rooms/h', { afterId: ids[0] })).rejects.toThrow(
      SseUnknownEventIdError,
    );
    await expect(broadcast.history('rooms/h', { afterId: 'nope' })).rejects.toThrow(/unknown/);
  });

  it("resumes this library's client after a targeted non-ASCII id, which it sends back as UTF-8", async () => {
    await start({ retryMs: 20 });
    const resets: SseReset[] = [];
    const client: SseStream<unknown> = connect(`${running.url}/hub/greet/u`, {
      onReset: (reset) => void resets.push(reset),
    });
    try {
      const recorded = recordStream(client);
      const [welcome] = await recorded.waitForCount(1);
      const { connectionId } = JSON.parse(welcome?.data as string) as { connectionId: string };
      await broadcast.sendTo(connectionId, { id: 'café-😀', data: 'before' });
      await recorded.waitForCount(2);
      running.app.get(ConnectionRegistry).disconnect({ channel: 'rooms/u' });
      // The id names no position: the server reads it back intact, and says the client cannot
      // resume from it (an id read as other bytes would be dropped, and nothing said).
      await waitUntil(
        () => resets.length === 1,
        () => `resets: ${JSON.stringify(resets)}`,
      );
      expect(resets[0]).toMatchObject({ reason: 'unknown-id', lastEventId: expect.any(String) });
    } finally {
      client.close();
      // Node's fetch keeps a spare connection after an aborted stream (nodejs/undici#5845).
      (running.app.getHttpServer() as Server).closeAllConnections();
    }
  });

  it('drops events older than history.maxAgeMs; a replay that missed one of them gets a reset', async () => {
    await start({ history: { maxAgeMs: 1000 } });
    const { id: older } = await broadcast.publish('rooms/age', { data: 'older' });
    const { id: old } = await broadcast.publish('rooms/age', { data: 'old' });
    // The shortest age the option allows has to pass.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await broadcast.publish('rooms/age', { data: 'new' });
    expect((await broadcast.history('rooms/age')).map((e) => e.data)).toEqual(['new']);
    // After 'older', 'old' is gone: the client cannot resume without a gap.
    const missed = await openRawStream(`${running.url}/hub/rooms/age`, { 'last-event-id': older });
    await missed.waitFor((events) => events.length === 1);
    expect(missed.events[0]).toMatchObject({ event: 'sse:reset', data: '{"reason":"evicted"}' });
    missed.close();
    // After 'old', nothing is gone: 'new' is all it missed.
    const complete = await openRawStream(`${running.url}/hub/rooms/age`, { 'last-event-id': old });
    await complete.waitFor((events) => events.length === 1);
    expect(complete.events.map((e) => e.data)).toEqual(['new']);
    complete.close();
  });

  it('forgets the least recently published channel past history.maxChannels', async () => {
    await start({ history: { maxChannels: 2 } });
    const { id: fromB } = await broadcast.publish('rooms/b', { data: 'b1' });
    await broadcast.publish('rooms/a', { data: 'a1' });
    await broadcast.publish('rooms/b', { data: 'b2' });
    // 'rooms/a' is now the least recently published: the third channel pushes it out.
    await broadcast.publish('rooms/c', { data: 'c1' });
    expect(await broadcast.history('rooms/a')).toEqual([]);
    expect((await broadcast.history('rooms/b')).map((e) => e.data)).toEqual(['b1', 'b2']);
    expect((await broadcast.history('rooms/c')).map((e) => e.data)).toEqual(['c1']);
    const stream = await openRawStream(`${running.url}/hub/rooms/b`, { 'last-event-id': fromB });
    await stream.waitFor((events) => events.length === 1);
    expect(stream.events.map((e) => e.data)).toEqual(['b2']);
    stream.close();
  });

  it('uses a per-channel history size from a channel declaration', async () => {
    await start({ history: { size: 5 }, channels: [{ pattern: 'logs/*', historySize: 2 }] });
    for (let i = 0; i < 4; i++) {
      await broadcast.publish('logs/app/1', { data: i });
      await broadcast.publish('rooms/x', { data: i });
    }
    expect(await broadcast.history('logs/app/1')).toHaveLength(2);
    expect(await broadcast.history('rooms/x')).toHaveLength(4);
  });
});
