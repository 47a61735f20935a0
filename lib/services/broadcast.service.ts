import { Inject, Injectable } from '@nestjs/common';
import type { SseBackend } from '../backends/sse-backend.interface.js';
import { checkedChannelName } from '../channel/channel-name.js';
import { ChannelRules } from '../channel/channel-rules.js';
import { InjectSseOptions } from '../decorators/inject-sse-options.decorator.js';
import type { SseHistoryEntry, SseHistoryQuery } from '../interfaces/history.interface.js';
import type { PublishOptions, PublishResult, SendResult } from '../interfaces/publish.interface.js';
import type { SseEvent } from '../interfaces/sse-event.interface.js';
import { SseLifecycle } from '../lifecycle/sse-lifecycle.service.js';
import type { ResolvedSseOptions } from '../options/sse-module-options.js';
import { SSE_BACKEND } from '../sse.constants.js';
import { checkedId, prepareEvent, type PreparedEvent } from '../wire/event-encoder.js';
import { toSseEvent } from '../wire/to-sse-event.js';

const DEFAULT_HISTORY_LIMIT = 100;

/**
 * Sends events: to every subscriber of a channel, to one connection, or to every connection
 * of a user; reads channel history; finishes channels. An event is validated and encoded once,
 * then the same bytes are written to every receiver. Invalid input rejects with an error naming
 * the field or channel, and nothing is sent to anyone.
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
    @InjectSseOptions() private readonly options: ResolvedSseOptions,
  ) {}

  /**
   * Sends `event` to every connection subscribed to `channel`, and keeps it in the channel's
   * history. A plain value is sent as the `data` of a `message` event. Unless the event has an
   * `id`, one is assigned (`<ms>-<seq>`, increasing within the channel).
   *
   * Once `app.close()` has begun it rejects with `SseShutdownError`. A publish already under way
   * (its payload being validated) is waited for and reaches the open streams before their
   * shutdown event, unless it is still validating after `shutdownTimeoutMs`: then it rejects
   * with `SseShutdownError` and sends nothing. One still waiting on Redis then rejects, once the
   * connection closes, with `SseShutdownError` and `outcomeUnknown: true`.
   */
  publish<T>(
    channel: string,
    event: SseEvent<T> | T,
    options: PublishOptions = {},
  ): Promise<PublishResult> {
    return this.lifecycle.track('publish', channel, async () => {
      const name = checkedChannelName(channel);
      const sseEvent = toSseEvent(event);
      const validation = this.rules.validate(name, sseEvent.data);
      if (validation) {
        await validation;
        // Shutdown waits for this publish, but only up to shutdownTimeoutMs.
        this.lifecycle.assertDeliverable('publish', channel);
      }
      return this.backend.publish({
        channel: name,
        event: prepareEvent(sseEvent),
        id: sseEvent.id === undefined ? undefined : checkedId(sseEvent.id),
        exclude: options.exclude ?? [],
        conflateKey: options.conflateKey ?? `${name}\n${sseEvent.event ?? 'message'}`,
        historySize: this.rules.historySize(name),
      });
    });
  }

  /**
   * Sends `event` to one connection (wherever it is connected, with a distributed backend).
   * It gets no id unless you give one: an id would become the client's `Last-Event-ID` and
   * break its channel replay. Resolves `{ delivered: 0 }` when the connection is gone.
   */
  sendTo<T>(connectionId: string, event: SseEvent<T> | T): Promise<SendResult> {
    return this.lifecycle.track('sendTo', connectionId, async () => {
      const [prepared, id] = this.prepareTargeted(event);
      return { delivered: await this.backend.sendToConnection(connectionId, prepared, id) };
    });
  }

  /** Sends `event` to every connection of a user; like `sendTo()`, without an id by default. */
  sendToUser<T>(userId: string, event: SseEvent<T> | T): Promise<SendResult> {
    return this.lifecycle.track('sendToUser', userId, async () => {
      const [prepared, id] = this.prepareTargeted(event);
      return { delivered: await this.backend.sendToUser(userId, prepared, id) };
    });
  }

  /**
   * Events kept for a channel, oldest first: the last `limit` (default 100), or those after
   * `afterId`. Rejects with `SseUnknownEventIdError` when `afterId` is not in history.
   */
  async history(channel: string, query: SseHistoryQuery = {}): Promise<SseHistoryEntry[]> {
    return this.backend.history(
      checkedChannelName(channel),
      query.afterId,
      query.limit ?? DEFAULT_HISTORY_LIMIT,
    );
  }

  /**
   * Ends a channel for good: its open streams get `finalEvent` (kept in history) and end, and
   * for `finished.ttlMs` new requests for it are answered 204, so browsers stop reconnecting.
   */
  finish<T>(channel: string, finalEvent?: SseEvent<T> | T): Promise<{ ended: number }> {
    return this.lifecycle.track('finish', channel, async () => {
      const name = checkedChannelName(channel);
      const prepared = finalEvent === undefined ? undefined : prepareEvent(toSseEvent(finalEvent));
      return { ended: await this.backend.finish(name, prepared, this.options.finished.ttlMs) };
    });
  }

  private prepareTargeted<T>(event: SseEvent<T> | T): [PreparedEvent, string | undefined] {
    const sseEvent = toSseEvent(event);
    return [prepareEvent(sseEvent), sseEvent.id === undefined ? undefined : checkedId(sseEvent.id)];
  }
}
