import type { ConnectionFilter, SseConnectionInfo } from '../backends/index.js';
import { RedisMessages } from './redis.messages.js';

/**
 * What travels on the pub/sub channels (a channel's own, the bus every instance listens to, an
 * instance's own), as the backend handles it. Every message carries the
 * frame bytes as they go on the wire (empty when it has none): the frame is never parsed, each
 * instance hands that one Buffer to all of its sockets.
 */
export type BusMessage =
  | ChannelEventMessage
  | ChannelFinishMessage
  | ConnectionSendMessage
  | UserSendMessage
  | ListRequestMessage
  | ListAnswerMessage;

/** An event published to a channel. */
export interface ChannelEventMessage {
  readonly kind: 'event';
  readonly channel: string;
  /** Its position in the channel (the stream entry id). */
  readonly position: string;
  /** Connections it must not reach. */
  readonly exclude: readonly string[];
  /** Its key under the `conflate` policy ('' for none). */
  readonly conflateKey: string;
  /** The instance that published it. */
  readonly origin: string;
  readonly frame: Buffer;
}

/** A channel finished, with the final event's frame and position if it had one. */
export interface ChannelFinishMessage {
  readonly kind: 'finish';
  readonly channel: string;
  readonly origin: string;
  readonly position?: string;
  readonly frame: Buffer;
}

/** A targeted send to one connection, on the channel of the instance serving it. */
export interface ConnectionSendMessage {
  readonly kind: 'to-connection';
  readonly connectionId: string;
  readonly frame: Buffer;
}

/** A send to every connection of a user; the origin delivered to its own already. */
export interface UserSendMessage {
  readonly kind: 'to-user';
  readonly userId: string;
  readonly origin: string;
  readonly frame: Buffer;
}

/** A request for connection lists, answered on the instance channel of `origin`. */
export interface ListRequestMessage {
  readonly kind: 'list-request';
  readonly request: string;
  readonly origin: string;
  readonly filter: ConnectionFilter;
}

/** An answer to a list request. */
export interface ListAnswerMessage {
  readonly kind: 'list-answer';
  readonly request: string;
  readonly connections: SseConnectionInfo[];
}

/** A message as `encodeBusMessage()` takes it: the frame as text, when there is one. */
export type OutgoingBusMessage =
  | Omit<ChannelFinishMessage, 'frame' | 'position'>
  | (Omit<ConnectionSendMessage, 'frame'> & { readonly frame: string })
  | (Omit<UserSendMessage, 'frame'> & { readonly frame: string })
  | ListRequestMessage
  | ListAnswerMessage;

/**
 * The header as it travels: a JSON object with one-letter keys, since every event carries one,
 * then a newline and the frame. Only this file and the publish script (which appends `p` to an
 * event's header) know these letters.
 */
type WireHeader =
  | { k: 'e'; c: string; p: string; x: readonly string[]; ck: string; o: string }
  | { k: 'f'; c: string; o: string; p?: string }
  | { k: 'c'; id: string }
  | { k: 'u'; u: string; o: string }
  | { k: 'q'; r: string; o: string; f: ConnectionFilter }
  | { k: 'a'; r: string; l: SseConnectionInfo[] };

const NEWLINE = 0x0a;

export function encodeBusMessage(message: OutgoingBusMessage): string {
  const frame = 'frame' in message ? message.frame : '';
  return `${JSON.stringify(toWire(message))}\n${frame}`;
}

/**
 * The message, its frame a slice of the same Buffer (no copy). Throws on a message this version
 * cannot read (the caller logs it and goes on).
 */
export function decodeBusMessage(message: Buffer): BusMessage {
  const split = message.indexOf(NEWLINE);
  if (split < 0) throw new Error(RedisMessages.noHeaderEnd());
  const wire = JSON.parse(message.subarray(0, split).toString('utf8')) as WireHeader;
  return fromWire(wire, message.subarray(split + 1));
}

/**
 * The header of an event message without its closing brace: the publish script appends the
 * position it assigns.
 */
export function openEventHeader(
  channel: string,
  exclude: readonly string[],
  conflateKey: string,
  origin: string,
): string {
  return openHeader({ k: 'e', c: channel, x: exclude, ck: conflateKey, o: origin });
}

/** The same for a finish with a final event. */
export function openFinishHeader(channel: string, origin: string): string {
  return openHeader({ k: 'f', c: channel, o: origin });
}

function openHeader(header: Partial<WireHeader>): string {
  return JSON.stringify(header).slice(0, -1);
}

function toWire(message: OutgoingBusMessage): WireHeader {
  switch (message.kind) {
    case 'finish':
      return { k: 'f', c: message.channel, o: message.origin };
    case 'to-connection':
      return { k: 'c', id: message.connectionId };
    case 'to-user':
      return { k: 'u', u: message.userId, o: message.origin };
    case 'list-request':
      return { k: 'q', r: message.request, o: message.origin, f: message.filter };
    case 'list-answer':
      return { k: 'a', r: message.request, l: message.connections };
  }
}

function fromWire(wire: WireHeader, frame: Buffer): BusMessage {
  switch (wire.k) {
    case 'e':
      return {
        kind: 'event',
        channel: wire.c,
        position: wire.p,
        exclude: wire.x,
        conflateKey: wire.ck,
        origin: wire.o,
        frame,
      };
    case 'f':
      return {
        kind: 'finish',
        channel: wire.c,
        origin: wire.o,
        ...(wire.p !== undefined && { position: wire.p }),
        frame,
      };
    case 'c':
      return { kind: 'to-connection', connectionId: wire.id, frame };
    case 'u':
      return { kind: 'to-user', userId: wire.u, origin: wire.o, frame };
    case 'q':
      return { kind: 'list-request', request: wire.r, origin: wire.o, filter: wire.f };
    case 'a':
      return { kind: 'list-answer', request: wire.r, connections: wire.l };
    default:
      throw new Error(RedisMessages.unknownMessageKind(String((wire as { k: unknown }).k)));
  }
}
