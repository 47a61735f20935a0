import { afterEach, describe, expect, it } from '@jest/globals';
import { connect, type SseEventStream, type SseMessageOf } from '../lib/client/index.js';
import {
  BroadcastService,
  SseEventError,
  SsePayloadValidationError,
  type SseEventsOf,
} from '../lib/index.js';
import { ChatEvents, contractModule } from './fixtures/contract-chat.fixture.js';
import { ADAPTERS, startApp, type RunningApp } from './support/app.js';

type ChatEventMap = SseEventsOf<typeof ChatEvents>;
type ChatMessage = SseMessageOf<ChatEventMap>;

const DECODINGS = { message: 'json', typing: 'json', token: 'text' } as const;
const hello = { text: 'hello', author: 'ann' };

describe.each(ADAPTERS)('typed event contracts on %s', (adapter) => {
  let running: RunningApp | undefined;
  let broadcast: BroadcastService;
  const streams: Array<SseEventStream<ChatEventMap>> = [];

  const start = async (options: Parameters<typeof contractModule>[0] = {}) => {
    running = await startApp(contractModule(options), adapter);
    broadcast = running.app.get(BroadcastService);
  };

  /** A typed client on room 1, open (so what is published next reaches it), and its iterator. */
  const openRoom = async () => {
    const stream = connect<ChatEventMap>(`${running?.url}/chat/rooms/1`, { events: DECODINGS });
    streams.push(stream);
    await stream.opened();
    return stream[Symbol.asyncIterator]();
  };
  const next = async (messages: AsyncIterator<ChatMessage>) => (await messages.next()).value;

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await running?.close();
    running = undefined;
  });

  it('delivers typed publishes to a typed client as a union keyed by event, decoded per event', async () => {
    await start();
    const messages = await openRoom();
    const chat = broadcast.typed(ChatEvents);
    await chat.publish('rooms/1', { event: 'message', data: hello });
    await chat.publish('rooms/1', { event: 'token', data: '{"not":"parsed"}' });
    await chat.publish('rooms/1', { event: 'typing', data: { user: 'bob' } });
    const received = [await next(messages), await next(messages), await next(messages)];
    expect(received.map((m) => m && { event: m.event, data: m.data })).toEqual([
      { event: 'message', data: hello },
      { event: 'token', data: '{"not":"parsed"}' },
      { event: 'typing', data: { user: 'bob' } },
    ]);
  });

  it("receives an unnamed publish as the contract's message event", async () => {
    await start();
    const messages = await openRoom();
    await broadcast.typed(ChatEvents).publish('rooms/1', { data: hello });
    expect(await next(messages)).toMatchObject({ event: 'message', data: hello });
  });

  it('skips, on the typed client, events its map does not name', async () => {
    await start();
    const messages = await openRoom();
    await broadcast.publish('rooms/1', { event: 'other', data: 'not json at all' });
    await broadcast.typed(ChatEvents).publish('rooms/1', { event: 'typing', data: { user: 'c' } });
    expect(await next(messages)).toMatchObject({ event: 'typing', data: { user: 'c' } });
  });

  it('rejects a typed publish whose class payload fails validation, and sends nothing', async () => {
    await start();
    const messages = await openRoom();
    const chat = broadcast.typed(ChatEvents);
    const invalid = { text: '', author: 'ann' };
    const error = await chat
      .publish('rooms/1', { event: 'message', data: invalid })
      .catch((e) => e);
    expect(error).toBeInstanceOf(SsePayloadValidationError);
    expect(error).toMatchObject({ channel: 'rooms/1' });
    await chat.publish('rooms/1', { event: 'message', data: hello });
    expect(await next(messages)).toMatchObject({ data: hello });
  });

  it('validates each event against its own class: a typing payload is not a message', async () => {
    await start();
    const chat = broadcast.typed(ChatEvents);
    await expect(
      chat.publish('rooms/1', { event: 'typing', data: hello as never }),
    ).rejects.toBeInstanceOf(SsePayloadValidationError);
    await expect(
      chat.publish('rooms/1', { event: 'typing', data: { user: 'ann' } }),
    ).resolves.toMatchObject({ delivered: 0 });
  });

  it('rejects, at run time, a typed publish or send of an event the contract does not declare', async () => {
    await start();
    const chat = broadcast.typed(ChatEvents);
    const shout = { event: 'shout', data: 'hey' } as never;
    await expect(chat.publish('rooms/1', shout)).rejects.toBeInstanceOf(SseEventError);
    await expect(chat.sendTo('c1', shout)).rejects.toBeInstanceOf(SseEventError);
    await expect(chat.sendToUser('u1', shout)).rejects.toBeInstanceOf(SseEventError);
  });

  it('makes untyped publishes to a channel declared with events pass the same checks', async () => {
    await start({ channels: [{ pattern: 'rooms/:room', events: ChatEvents }] });
    const messages = await openRoom();
    await expect(
      broadcast.publish('rooms/1', { event: 'shout', data: 'hey' }),
    ).rejects.toBeInstanceOf(SseEventError);
    await expect(
      broadcast.publish('rooms/1', { event: 'typing', data: { user: 42 } }),
    ).rejects.toBeInstanceOf(SsePayloadValidationError);
    await broadcast.publish('rooms/1', { event: 'typing', data: { user: 'dee' } });
    expect(await next(messages)).toMatchObject({ event: 'typing', data: { user: 'dee' } });
  });

  it("checks a finish's final event like a publish, typed or through the channel's contract", async () => {
    await start({ channels: [{ pattern: 'rooms/:room', events: ChatEvents }] });
    await expect(
      broadcast.finish('rooms/1', { event: 'shout', data: 'bye' }),
    ).rejects.toBeInstanceOf(SseEventError);
    await expect(
      broadcast.typed(ChatEvents).finish('rooms/2', {
        event: 'message',
        data: { text: '', author: 'ann' },
      }),
    ).rejects.toBeInstanceOf(SsePayloadValidationError);
    // Refused finishes finish nothing: the rooms still take publishes.
    await expect(
      broadcast.publish('rooms/1', { event: 'typing', data: { user: 'dee' } }),
    ).resolves.toMatchObject({ delivered: 0 });
    await expect(
      broadcast.typed(ChatEvents).finish('rooms/2', { event: 'message', data: hello }),
    ).resolves.toEqual({ ended: 0 });
  });

  it('types history entries by event', async () => {
    await start();
    const chat = broadcast.typed(ChatEvents);
    await chat.publish('rooms/1', { event: 'token', data: 'Hel' });
    await chat.publish('rooms/1', { data: hello });
    const entries = await chat.history('rooms/1');
    expect(entries.map(({ event, data }) => ({ event, data }))).toEqual([
      { event: 'token', data: 'Hel' },
      { event: undefined, data: hello },
    ]);
  });
});
