import { afterEach, describe, expect, it } from '@jest/globals';
import { IsInt, IsString, Length, Min } from 'class-validator';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { connect, type SseStream } from '../lib/client/index.js';
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
    for (let i = 0; i < 5; i++) ids.push((await broadcast.publish('rooms/1', i)).id);
    for (const id of ids) expect(id).toMatch(/^\d+-\d+$/);
    const seqs = ids.map((id) => Number(id.split('-')[1]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(5);
  });

  it('keeps the id a caller gives and rejects one with a line break, sending nothing', async () => {
    await start();
    const stream = await openRawStream(`${running.url}/hub/rooms/1`);
    await opened(stream);
    expect((await broadcast.publish('rooms/1', { id: 'order-7', data: 'x' })).id).toBe('order-7');
    await expect(broadcast.publish('rooms/1', { id: 'a\nb', data: 'y' })).rejects.toThrow(
      SseEventError,
    );
    await expect(broadcast.publish('rooms/1', { data: 10n })).rejects.toThrow(
      /cannot be JSON-encoded/,
    );
    await broadcast.publish('rooms/1', 'after');
    await stream.waitFor((events) => events.length === 2);
    expect(stream.events.map((e) => [e.id, e.data])).toEqual([
      ['order-7', 'x'],
      [expect.any(String), 'after'],
    ]);
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
      broadcast.publish('rooms/1', { id: badId, data: 'no' }),
      broadcast.sendTo(connectionId, { id: badId, data: 'no' }),
      broadcast.sendToUser('ada', { id: badId, data: 'no' }),
    ]) {
      await expect(attempt).rejects.toThrow(rule);
      await expect(attempt).rejects.toMatchObject({ name: 'SseEventError', field: 'id' });
    }
    await broadcast.publish('rooms/1', 'after');
    await stream.waitFor((events) => events.length === 2);
    expect(stream.events.map((e) => e.data)).toEqual([welcome?.data, 'after']);
    expect(await broadcast.history('rooms/1')).toHaveLength(1);
    stream.close();
  });

  it.each(EDGE_IDS)('replays after the id %j, sent back as a header or a query', async (id) => {
    await start();
    await broadcast.publish('rooms/e', { id, data: 'given' });
    await broadcast.publish('rooms/e', 'next');
    const byHeader = await openRawStream(`${running.url}/hub/rooms/e`, {
      'last-event-id': headerBytes(id),
    });
    const byQuery = await openRawStream(
      `${running.url}/hub/rooms/e?lastEventId=${encodeURIComponent(id)}`,
    );
    for (const stream of [byHeader, byQuery]) {
      await stream.waitFor((events) => events.length === 1);
      expect(stream.events.map((e) => e.data)).toEqual(['next']);
      stream.close();
    }
  });

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
    await broadcast.publish('rooms/once', 'the same bytes');
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
    await expect(broadcast.publish('', 1)).rejects.toThrow('Invalid SSE channel name ""');
    await expect(broadcast.publish('a\nb', 1)).rejects.toThrow(/Invalid SSE channel name/);
  });

  it('leaves out the connections listed in exclude', async () => {
    await start();
    const sender = await openRawStream(`${running.url}/hub/greet/7`);
    const other = await openRawStream(`${running.url}/hub/greet/7`);
    const [welcome] = await sender.waitFor((events) => events.length === 1);
    const senderId = JSON.parse(welcome?.data ?? '{}').connectionId as string;
    await other.waitFor((events) => events.length === 1);
    const result = await broadcast.publish('rooms/7', 'hello', { exclude: [senderId] });
    expect(result.delivered).toBe(1);
    await other.waitFor((events) => events.length === 2);
    await broadcast.publish('rooms/7', 'to all');
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
    expect(await broadcast.sendTo('no-such-connection', 'x')).toEqual({ delivered: 0 });
  });

  it('sends to every connection of a user, identified by req.user.id', async () => {
    await start();
    const phone = await openRawStream(`${running.url}/hub/inbox`, { 'x-user': 'ada' });
    const laptop = await openRawStream(`${running.url}/hub/inbox`, { 'x-user': 'ada' });
    const stranger = await openRawStream(`${running.url}/hub/inbox`, { 'x-user': 'bob' });
    await Promise.all([phone, laptop, stranger].map(opened));
    expect(await broadcast.sendToUser('ada', 'ping')).toEqual({ delivered: 2 });
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
    await expect(broadcast.publish('rooms/3', { text: 'hi', priority: 1 })).resolves.toMatchObject({
      delivered: 1,
    });
    // Another channel has no DTO.
    await broadcast.publish('other', { anything: true });
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
    const all = await broadcast.history('rooms/h');
    expect(all.map((e) => e.data)).toEqual(['3', '4', '5', '6', '7']);
    expect(all[0]).toEqual({ id: ids[3], event: 'n', data: '3' });
    expect(
      (await broadcast.history('rooms/h', { afterId: ids[5], limit: 1 })).map((e) => e.data),
    ).toEqual(['6']);
    expect((await broadcast.history('rooms/h', { limit: 2 })).map((e) => e.data)).toEqual([
      '6',
      '7',
    ]);
    await expect(broadcast.history('rooms/h', { afterId: ids[0] })).rejects.toThrow(
      SseUnknownEventIdError,
    );
    await expect(broadcast.history('rooms/h', { afterId: 'nope' })).rejects.toThrow(/unknown/);
  });

  it("resumes this library's client after a non-ASCII id, which it sends back as UTF-8", async () => {
    await start({ retryMs: 20 });
    const client: SseStream<unknown> = connect(`${running.url}/hub/rooms/u`);
    try {
      const recorded = recordStream(client);
      await client.opened();
      await broadcast.publish('rooms/u', { id: 'café-😀', data: 'before' });
      await recorded.waitForCount(1);
      running.app.get(ConnectionRegistry).disconnect({ channel: 'rooms/u' });
      // Published while the client is away: only a replay after 'café-😀' delivers it.
      await broadcast.publish('rooms/u', 'while away');
      const messages = await recorded.waitForCount(2);
      expect(messages.map((m) => [m.id, m.data])).toEqual([
        ['café-😀', 'before'],
        [expect.any(String), 'while away'],
      ]);
    } finally {
      client.close();
      // Node's fetch keeps a spare connection after an aborted stream (nodejs/undici#5845).
      (running.app.getHttpServer() as Server).closeAllConnections();
    }
  });

  it('drops events older than history.maxAgeMs; a replay from one of them gets a reset', async () => {
    await start({ history: { maxAgeMs: 1000 } });
    const { id: old } = await broadcast.publish('rooms/age', 'old');
    // The shortest age the option allows has to pass.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await broadcast.publish('rooms/age', 'new');
    expect((await broadcast.history('rooms/age')).map((e) => e.data)).toEqual(['new']);
    const stream = await openRawStream(`${running.url}/hub/rooms/age`, { 'last-event-id': old });
    await stream.waitFor((events) => events.length === 1);
    expect(stream.events[0]).toMatchObject({ event: 'reset', data: '{"reason":"evicted"}' });
    stream.close();
  });

  it('forgets the least recently published channel past history.maxChannels', async () => {
    await start({ history: { maxChannels: 2 } });
    const { id: fromB } = await broadcast.publish('rooms/b', 'b1');
    await broadcast.publish('rooms/a', 'a1');
    await broadcast.publish('rooms/b', 'b2');
    // 'rooms/a' is now the least recently published: the third channel pushes it out.
    await broadcast.publish('rooms/c', 'c1');
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
      await broadcast.publish('logs/app/1', i);
      await broadcast.publish('rooms/x', i);
    }
    expect(await broadcast.history('logs/app/1')).toHaveLength(2);
    expect(await broadcast.history('rooms/x')).toHaveLength(4);
  });
});
