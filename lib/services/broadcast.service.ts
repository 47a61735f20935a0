import { Injectable } from '@nestjs/common';
import { MemoryBackend } from '../backends/memory/memory.backend.js';
import { checkedChannelName } from '../channel/channel-name.js';
import type { PublishOptions, PublishResult } from '../interfaces/publish.interface.js';
import type { SseEvent } from '../interfaces/sse-event.interface.js';
import { checkedId, prepareEvent } from '../wire/event-encoder.js';
import { toSseEvent } from '../wire/to-sse-event.js';

/**
 * Publishes events to channels. An event is validated and encoded once, then the same bytes are
 * written to every subscriber.
 *
 * @example
 * constructor(private readonly broadcast: BroadcastService) {}
 * await this.broadcast.publish('rooms/42', { event: 'message', data: { text: 'hi' } });
 */
@Injectable()
export class BroadcastService {
  constructor(private readonly backend: MemoryBackend) {}

  /**
   * Sends `event` to every connection subscribed to `channel`. A plain value is sent as the
   * `data` of a `message` event. Unless the event has an `id`, the backend assigns one.
   * Rejects with an error naming the field when the channel name or the event is invalid; in
   * that case nothing is sent to anyone.
   */
  async publish<T>(
    channel: string,
    event: SseEvent<T> | T,
    options: PublishOptions = {},
  ): Promise<PublishResult> {
    const name = checkedChannelName(channel);
    const sseEvent = toSseEvent(event);
    const prepared = prepareEvent(sseEvent);
    const id = sseEvent.id === undefined ? undefined : checkedId(sseEvent.id);
    const exclude = options.exclude?.length ? new Set(options.exclude) : undefined;
    return this.backend.publish(name, prepared, id, exclude);
  }
}
