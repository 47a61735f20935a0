/**
 * Compile-time checks of typed event contracts, run by `npm run typecheck` (tsconfig includes
 * test/). Every `@ts-expect-error` marks a call TypeScript must refuse: if the typing ever let it
 * through, the directive would be unused, which is itself an error, and typecheck would fail.
 * Nothing here runs.
 */
import { connect, type SseEventStream } from '../../lib/client/index.js';
import {
  defineSseEvents,
  ssePayload,
  type BroadcastService,
  type SseDataDecoding,
  type SseEventsOf,
  type SseJson,
} from '../../lib/index.js';

class ChatMessageDto {
  text!: string;
  sentAt!: Date;
}

const ChatEvents = defineSseEvents({
  message: ChatMessageDto,
  typing: ssePayload<{ user: string }>(),
  token: ssePayload<string>(),
});

type ChatEventMap = SseEventsOf<typeof ChatEvents>;

/** `true` only when A and B are the same type. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(proof: Equal<A, B>): Equal<A, B> => proof;

// The map read back from the contract.
same<ChatEventMap, { message: ChatMessageDto; typing: { user: string }; token: string }>(true);
// A payload as JSON: a Date arrives as its string; functions and undefined disappear.
same<SseJson<{ at: Date; n: number; f: () => void; u: undefined }>, { at: string; n: number }>(
  true,
);
same<SseJson<Array<Date | undefined>>, Array<string | null>>(true);
// A property that may be undefined may be missing from the JSON: it is optional there.
same<
  SseJson<{ a: number | undefined; b?: Date; c: string }>,
  { a?: number; b?: string; c: string }
>(true);
// A payload that may be a string or not has no decoding: the client could not tell on the wire.
same<SseDataDecoding<unknown>, never>(true);
same<SseDataDecoding<string | number>, never>(true);
same<SseDataDecoding<string>, 'text'>(true);
same<SseDataDecoding<{ n: number }>, 'json'>(true);

// @ts-expect-error: the sse: namespace is the library's
defineSseEvents({ 'sse:reset': ChatMessageDto });
// @ts-expect-error: a payload is a class or ssePayload<T>(), not a value
defineSseEvents({ message: { text: 'hi' } });

export async function publishing(broadcast: BroadcastService): Promise<void> {
  const chat = broadcast.typed(ChatEvents);
  const message = { text: 'hi', sentAt: new Date() };

  await chat.publish('rooms/1', { event: 'message', data: message });
  await chat.publish('rooms/1', { data: message }); // the unnamed event is `message`
  await chat.publish('rooms/1', { event: 'typing', data: { user: 'ann' } }, { exclude: ['c1'] });
  await chat.publish('rooms/1', { event: 'token', data: 'Hel' });
  await chat.sendTo('c1', { event: 'typing', data: { user: 'ann' }, id: 'k1' });
  await chat.sendToUser('u1', { event: 'token', data: 'lo' });
  await chat.finish('rooms/1', { event: 'message', data: message });

  // @ts-expect-error: an event the contract does not declare
  await chat.publish('rooms/1', { event: 'shout', data: message });
  // @ts-expect-error: the payload of another event
  await chat.publish('rooms/1', { event: 'typing', data: message });
  // @ts-expect-error: a wrong payload type
  await chat.publish('rooms/1', { event: 'token', data: 42 });
  // @ts-expect-error: an unnamed event is `message`, whose payload this is not
  await chat.publish('rooms/1', { data: { user: 'ann' } });
  // @ts-expect-error: a named event must say its name
  await chat.publish('rooms/1', { data: 'Hel' });
  // @ts-expect-error: channel events get their id from the backend
  await chat.publish('rooms/1', { event: 'token', data: 'x', id: '1' });
  // @ts-expect-error: targeted sends are checked too
  await chat.sendTo('c1', { event: 'shout', data: 'x' });
  // @ts-expect-error: and their payloads
  await chat.sendToUser('u1', { event: 'typing', data: { user: 7 } });
  // @ts-expect-error: and the final event of finish()
  await chat.finish('rooms/1', { event: 'token', data: { text: 'bye' } });

  for (const entry of await chat.history('rooms/1')) {
    if (entry.event === 'typing') same<typeof entry.data, { user: string }>(true);
    if (entry.event === 'token') same<typeof entry.data, string>(true);
    if (entry.event === 'message' || entry.event === undefined)
      same<typeof entry.data, { text: string; sentAt: string }>(true);
  }

  // The untyped API is unchanged.
  await broadcast.publish('rooms/1', { event: 'anything', data: 1 });
}

export async function consuming(): Promise<void> {
  const stream: SseEventStream<ChatEventMap> = connect<ChatEventMap>('http://localhost/chat', {
    events: { message: 'json', typing: 'json', token: 'text' },
  });
  for await (const m of stream) {
    if (m.event === 'message') {
      same<typeof m.data, { text: string; sentAt: string }>(true);
      // @ts-expect-error: narrowed to `message`, whose data has no `user`
      void m.data.user;
    } else if (m.event === 'typing') {
      same<typeof m.data, { user: string }>(true);
    } else {
      same<typeof m.event, 'token'>(true);
      same<typeof m.data, string>(true);
    }
    // @ts-expect-error: not an event of the contract, so never equal
    if (m.event === 'shout') return;
  }

  // @ts-expect-error: every event of the map must say how it is decoded
  connect<ChatEventMap>('http://localhost/chat', { events: { message: 'json', typing: 'json' } });
  connect<ChatEventMap>('http://localhost/chat', {
    // @ts-expect-error: a string payload is sent as it is, so it is text, not JSON
    events: { message: 'json', typing: 'json', token: 'json' },
  });
  connect<ChatEventMap>('http://localhost/chat', {
    // @ts-expect-error: an object payload is JSON
    events: { message: 'text', typing: 'json', token: 'text' },
  });

  // The untyped client is unchanged: data is the text of the event.
  for await (const m of connect('http://localhost/chat')) {
    same<typeof m.data, string>(true);
    void m;
  }
}
