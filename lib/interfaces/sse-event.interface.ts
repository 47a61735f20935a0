import type { MessageEvent } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { SseEventMap } from '../protocol/event-contract.js';

/**
 * One Server-Sent Event, as the library writes it on the wire. Every value the application
 * sends is an event object like this one: `{ data }` at least, so a payload is never mistaken
 * for an event or the other way round (`toSseEvent()` refuses anything else, saying to wrap it).
 *
 * `data` is required: strings are sent as they are (line breaks become several `data:` lines),
 * anything else is JSON-encoded. `event` must not contain CR, LF or NUL, nor start with `sse:`
 * (the library's own events). `id` must be one the client can send back as `Last-Event-ID`
 * intact: 1 to 128 UTF-16 code units long (`id.length`; an emoji counts 2), no control
 * characters, no unpaired surrogates, no leading or trailing space. `retry` is an integer number
 * of milliseconds >= 0.
 *
 * @example
 * const e: SseEvent<{ text: string }> = { event: 'message', data: { text: 'hi' } };
 */
export interface SseEvent<T = unknown> {
  /** The payload. Strings are written as they are; other values are JSON-encoded. */
  data: T;
  /** Event type; the browser dispatches it to `addEventListener(event, ...)`. Defaults to `message`. */
  event?: string;
  /**
   * Event id; the client sends it back as `Last-Event-ID` when it reconnects. Channel events get
   * theirs from the backend (their position, which replays rely on): only events sent to one
   * connection (handler values, `sendTo()`, `sendToUser()`) may choose one, and on a stream with
   * channels such an id makes its next reconnect a `sse:reset`.
   */
  id?: string;
  /** Reconnection delay hint in milliseconds. */
  retry?: number;
  /** A comment written before the event; ignored by clients, useful for debugging. */
  comment?: string;
}

/**
 * What `publish()` and `finish()` take: an event without `id`, which the backend assigns.
 *
 * @example
 * await broadcast.publish('rooms/42', { event: 'message', data: { text: 'hi' } });
 */
export type SseChannelEvent<T = unknown> = Omit<SseEvent<T>, 'id'>;

/**
 * What a typed `publish()` or `finish()` takes (see `BroadcastService.typed()`): one of the
 * contract's events, named by `event` and carrying that event's payload. The contract's
 * `message` event, the one clients receive for an unnamed event, may leave `event` out.
 *
 * @example
 * const e: SseContractEvent<{ message: Chat; typing: Typing }> = { event: 'typing', data: { user: 'ann' } };
 */
export type SseContractEvent<E extends SseEventMap> = {
  [K in keyof E & string]: ContractEvent<K, E[K]>;
}[keyof E & string];

/** What a typed `sendTo()` or `sendToUser()` takes: a contract event, with an optional `id`. */
export type SseContractTargetedEvent<E extends SseEventMap> = {
  [K in keyof E & string]: ContractEvent<K, E[K]> & { id?: string };
}[keyof E & string];

type ContractEvent<K extends string, T> = (K extends 'message' ? { event?: K } : { event: K }) & {
  data: T;
  retry?: number;
  comment?: string;
};

/**
 * What an `@SseChannel()` handler's stream may emit: an {@link SseEvent}, or NestJS's own
 * `MessageEvent` (`{ data, type?, id?, retry? }`, as `@Sse()` handlers return; `type` is the
 * event name), so handlers move from `@Sse()` unchanged.
 */
export type SseHandlerEvent = SseEvent | MessageEvent;

/** A handler's stream of events, or nothing (a pure channel subscription). */
export type SseHandlerStream = Observable<SseHandlerEvent> | AsyncIterable<SseHandlerEvent>;

/** What an `@SseChannel()` method may return; TypeScript refuses any other return type. */
export type SseHandlerResult = SseHandlerStream | void | Promise<SseHandlerStream | void>;

/**
 * A method `@SseChannel()` can decorate: whatever its parameters, it returns an Observable or
 * AsyncIterable of events (`SseEvent`, or NestJS's `MessageEvent`), a Promise of one, or nothing.
 */
export type SseChannelMethod = (...args: never[]) => SseHandlerResult;
