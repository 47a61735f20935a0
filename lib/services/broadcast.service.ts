import { Inject, Injectable } from '@nestjs/common';
import { eventSpecOf, isEventContract } from '../contracts/define-sse-events.js';
import { SseEventError } from '../errors/sse-event.error.js';
import type { SseBackend } from '../interfaces/sse-backend.interface.js';
import { checkedChannelName } from '../channel/channel-name.js';
import { ChannelRules } from '../channel/channel-rules.js';
import type { SseHistoryEntry, SseHistoryQuery } from '../interfaces/history.interface.js';
import type {
  PublishOptions,
  PublishResult,
  SendResult,
  SseContractHistoryEntry,
  SseTypedBroadcast,
} from '../interfaces/publish.interface.js';
import type { SseEventContract, SseEventMap } from '../protocol/event-contract.js';
import { SseMessages } from '../sse.messages.js';
import type { SseChannelEvent, SseEvent } from '../interfaces/sse-event.interface.js';
import { SseLifecycle } from '../lifecycle/sse-lifecycle.service.js';
import { SseMetrics } from '../metrics/sse-metrics.js';
import type { ResolvedSseOptions } from '../interfaces/sse-options.interface.js';
import { SSE_BACKEND, SSE_DEFAULTS, SSE_OPTIONS } from '../sse.constants.js';
import type { PreparedEvent } from '../interfaces/sse-frame.interface.js';
import { checkedId, prepareEvent } from '../wire/event-encoder.js';
import { toSseEvent, type EventSender } from '../wire/to-sse-event.js';

const PUBLISH: EventSender = { name: 'publish()', mayChooseId: false };
const FINISH: EventSender = { name: 'finish()', mayChooseId: false };
const SEND_TO: EventSender = { name: 'sendTo()', mayChooseId: true };
const SEND_TO_USER: EventSender = { name: 'sendToUser()', mayChooseId: true };

/**
 * Sends events: to every subscriber of a channel, to one connection, or to every connection
 * of a user; reads channel history; finishes channels. Every event is an object with `data`
 * (`{ event?, data, retry?, comment? }`); it is validated and encoded once, then the same bytes
 * are written to every receiver. Invalid input rejects with an `SseError` naming the field or
 * channel (`SseExceptionFilter` answers them with a 400), and nothing is sent to anyone.
 *
 * @example
 * constructor(private readonly broadcast: BroadcastService) {}
 * await this.broadcast.publish('rooms/42', { event: 'message', data: { text: 'hi' } });
 */
@Injectable()
export class BroadcastService {
  constructor(
    @Inject(SSE_BACKEND) private readonly backend: SseBackend,
    private readonly rules: ChannelRules,
    private readonly lifecycle: SseLifecycle,
    @Inject(SSE_OPTIONS) private readonly options: ResolvedSseOptions,
    private readonly metrics: SseMetrics,
  ) {}

  /**
   * Sends `event` to every connection subscribed to `channel`, and keeps it in the channel's
   * history. Its id is assigned: its position in the channel (`<ms>-<seq>`, increasing), which
   * replays rely on. Rejects with `SseChannelFinishedError` if the channel was finished.
   *
   * Once `app.close()` has begun it rejects with `SseShutdownError`. A publish already under way
   * (its payload being validated) is waited for and reaches the open streams before their
   * shutdown event, unless it is still validating after `shutdownTimeoutMs`: then it rejects
   * with `SseShutdownError` and sends nothing. One still waiting on Redis then rejects, once the
   * connection closes, with `SseShutdownError` and `outcomeUnknown: true`.
   */
  publish<T>(
    channel: string,
    event: SseChannelEvent<T>,
    options: PublishOptions = {},
  ): Promise<PublishResult> {
    return this.publishChecked(channel, event, options, undefined);
  }

  /** `publish()`, also checked against `contract` (a typed publish's), if given. */
  private publishChecked(
    channel: string,
    event: SseChannelEvent<unknown>,
    options: PublishOptions,
    contract: SseEventContract | undefined,
  ): Promise<PublishResult> {
    const started = this.metrics.publishStarted();
    return this.lifecycle.track('publish', channel, async () => {
      try {
        const name = checkedChannelName(channel);
        const sseEvent = toSseEvent(event, PUBLISH);
        const validation = this.rules.validate(name, sseEvent.event, sseEvent.data, contract);
        if (validation) {
          await validation;
          // Shutdown waits for this publish, but only up to shutdownTimeoutMs.
          this.lifecycle.assertDeliverable('publish', channel);
        }
        const result = await this.backend.publish({
          channel: name,
          event: prepareEvent(sseEvent),
          exclude: options.exclude ?? [],
          conflateKey: options.conflateKey ?? `${name}\n${sseEvent.event ?? 'message'}`,
          historySize: this.rules.historySize(name),
        });
        this.metrics.published(channel, started, result.delivered);
        return result;
      } catch (error) {
        this.metrics.publishFailed(channel, started, error);
        throw error;
      }
    });
  }

  /**
   * Sends `event` to one connection (wherever it is connected, with a distributed backend).
   * It gets no id unless you give one: an id would become the client's `Last-Event-ID` and
   * break its channel replay. Resolves `{ delivered: 0 }` when the connection is gone.
   */
  sendTo<T>(connectionId: string, event: SseEvent<T>): Promise<SendResult> {
    return this.lifecycle.track('sendTo', connectionId, async () => {
      const [prepared, id] = prepareTargeted(event, SEND_TO);
      return { delivered: await this.backend.sendToConnection(connectionId, prepared, id) };
    });
  }

  /** Sends `event` to every connection of a user; like `sendTo()`, without an id by default. */
  sendToUser<T>(userId: string, event: SseEvent<T>): Promise<SendResult> {
    return this.lifecycle.track('sendToUser', userId, async () => {
      const [prepared, id] = prepareTargeted(event, SEND_TO_USER);
      return { delivered: await this.backend.sendToUser(userId, prepared, id) };
    });
  }

  /**
   * Events kept for a channel, oldest first, with the data that was published: the last
   * `limit` (default 100), or those after `afterId`. Rejects with `SseUnknownEventIdError` when
   * history no longer holds every event after `afterId` (or never issued it).
   */
  async history<T = unknown>(
    channel: string,
    query: SseHistoryQuery = {},
  ): Promise<SseHistoryEntry<T>[]> {
    const entries = await this.backend.history(
      checkedChannelName(channel),
      query.afterId,
      query.limit ?? SSE_DEFAULTS.historyLimit,
    );
    return entries as SseHistoryEntry<T>[];
  }

  /**
   * Ends a channel for good: its open streams get `finalEvent` (kept in history) and end, and
   * for `finished.ttlMs` new requests for it are answered 204, so browsers stop reconnecting,
   * and publishes to it reject with `SseChannelFinishedError`. Finishing it again renews it.
   */
  finish<T>(channel: string, finalEvent?: SseChannelEvent<T>): Promise<{ ended: number }> {
    return this.finishChecked(channel, finalEvent, undefined);
  }

  /**
   * `finish()`, its final event checked like a publish (the channel's rules, and `contract`, a
   * typed finish's, if given): it reaches every subscriber as a publish does.
   */
  private finishChecked(
    channel: string,
    finalEvent: SseChannelEvent<unknown> | undefined,
    contract: SseEventContract | undefined,
  ): Promise<{ ended: number }> {
    return this.lifecycle.track('finish', channel, async () => {
      const name = checkedChannelName(channel);
      let prepared: PreparedEvent | undefined;
      if (finalEvent !== undefined) {
        const sseEvent = toSseEvent(finalEvent, FINISH);
        const validation = this.rules.validate(name, sseEvent.event, sseEvent.data, contract);
        if (validation) {
          await validation;
          this.lifecycle.assertDeliverable('finish', channel);
        }
        prepared = prepareEvent(sseEvent);
      }
      return { ended: await this.backend.finish(name, prepared, this.options.finished.ttlMs) };
    });
  }

  /**
   * This service for one event contract (`defineSseEvents()`): the same methods, taking only
   * the contract's events, so TypeScript refuses an event name it does not declare or a payload
   * of another type. At run time an undeclared event is refused with `SseEventError`, and a
   * publish validates a class payload against the class declared for its event name (like a
   * channel's `payload` DTO: `SsePayloadValidationError`, nothing sent). The view holds no
   * state: make it once, or on every call.
   *
   * @example
   * const chat = broadcast.typed(ChatEvents);
   * await chat.publish('rooms/42', { event: 'message', data: { text: 'hi', author: 'ann' } });
   * await chat.publish('rooms/42', { event: 'shout', data: 1 }); // does not compile
   */
  typed<E extends SseEventMap>(contract: SseEventContract<E>): SseTypedBroadcast<E> {
    if (!isEventContract(contract)) throw new TypeError(SseMessages.contractNotAnObject(contract));
    const general = contract as SseEventContract;
    // A value that is not an event object is left to toSseEvent(), which says what is wrong.
    const declared = (sender: string, event: unknown): void => {
      if (event !== null && typeof event === 'object')
        assertDeclared(general, sender, String((event as { event?: unknown }).event ?? 'message'));
    };
    return {
      publish: (channel, event, options = {}) =>
        this.publishChecked(channel, event, options, general),
      // async, so that an undeclared event rejects like every other refusal, never throws.
      sendTo: async (connectionId, event) => {
        declared(`sendTo("${connectionId}")`, event);
        return this.sendTo(connectionId, event);
      },
      sendToUser: async (userId, event) => {
        declared(`sendToUser("${userId}")`, event);
        return this.sendToUser(userId, event);
      },
      finish: async (channel, finalEvent) => {
        if (finalEvent) declared(`finish("${channel}")`, finalEvent);
        return this.finishChecked(channel, finalEvent, general);
      },
      history: (channel, query) =>
        this.history(channel, query) as Promise<SseContractHistoryEntry<E>[]>,
    };
  }
}

/** Refuses, before anything is sent, an event `contract` does not declare. */
function assertDeclared(contract: SseEventContract, sender: string, event: string): void {
  if (eventSpecOf(contract, event) === undefined)
    throw new SseEventError(
      SseMessages.eventNotInContract(sender, event, Object.keys(contract.events)),
      'event',
    );
}

/** A targeted event, encoded but for its id, which a backend may add after routing it. */
function prepareTargeted(event: unknown, sender: EventSender): [PreparedEvent, string | undefined] {
  const sseEvent = toSseEvent(event, sender);
  return [prepareEvent(sseEvent), sseEvent.id === undefined ? undefined : checkedId(sseEvent.id)];
}
