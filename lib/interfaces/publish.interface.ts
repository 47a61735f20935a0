import type { SseEventMap, SseWireData } from '../protocol/event-contract.js';
import type { SseHistoryQuery } from './history.interface.js';
import type { SseContractEvent, SseContractTargetedEvent } from './sse-event.interface.js';

/** Options of `BroadcastService.publish()`. */
export interface PublishOptions {
  /** Connection ids that must not receive the event, e.g. the sender of a chat message. */
  readonly exclude?: readonly string[];
  /**
   * Under the `conflate` slow-consumer policy, a queued event with the same key is replaced by
   * this one. Default: the channel and event type.
   */
  readonly conflateKey?: string;
}

/** What a publish did: the event's id and how many connections of this process it reached. */
export interface PublishResult {
  readonly id: string;
  readonly delivered: number;
}

/** What a targeted send did: how many connections of this process it reached. */
export interface SendResult {
  readonly delivered: number;
}

/**
 * One event of a typed channel's history (`typed(contract).history()`): `data` as `history()`
 * returns it, a string payload as it was and any other parsed back from its JSON.
 */
export type SseContractHistoryEntry<E extends SseEventMap> = {
  [K in keyof E & string]: {
    readonly id: string;
    /** Undefined for a `message` event published without a name. */
    readonly event: K extends 'message' ? K | undefined : K;
    readonly data: SseWireData<E[K]>;
  };
}[keyof E & string];

/**
 * `BroadcastService` for one event contract (`broadcast.typed(ChatEvents)`): the same methods,
 * taking only the contract's events with their payloads, so TypeScript refuses an event name
 * the contract does not declare or a payload of the wrong type. At run time, an event the
 * contract does not declare is refused with `SseEventError`, and `publish()` validates a class
 * payload (needs `class-transformer`) like a channel's `payload` DTO, rejecting with
 * `SsePayloadValidationError`. Targeted sends are typed but not validated.
 *
 * @example
 * const chat = broadcast.typed(ChatEvents);
 * await chat.publish('rooms/42', { event: 'message', data: { text: 'hi', author: 'ann' } });
 */
export interface SseTypedBroadcast<E extends SseEventMap> {
  publish(
    channel: string,
    event: SseContractEvent<E>,
    options?: PublishOptions,
  ): Promise<PublishResult>;
  sendTo(connectionId: string, event: SseContractTargetedEvent<E>): Promise<SendResult>;
  sendToUser(userId: string, event: SseContractTargetedEvent<E>): Promise<SendResult>;
  finish(channel: string, finalEvent?: SseContractEvent<E>): Promise<{ ended: number }>;
  history(channel: string, query?: SseHistoryQuery): Promise<SseContractHistoryEntry<E>[]>;
}
