import { Injectable } from '@nestjs/common';
import { ChannelHub } from '../../connection/channel-hub.js';
import type { PublishResult } from '../../interfaces/publish.interface.js';
import { frameOf, type PreparedEvent } from '../../wire/event-encoder.js';

/**
 * The embedded backend: one process, nothing to install. Ids are `<boot ms>-<sequence>`, one
 * sequence for the whole process, so they increase within every channel and never repeat, even
 * across channels.
 */
@Injectable()
export class MemoryBackend {
  private readonly epoch = Date.now();
  private sequence = 0;

  constructor(private readonly hub: ChannelHub) {}

  publish(
    channel: string,
    event: PreparedEvent,
    id: string | undefined,
    exclude: ReadonlySet<string> | undefined,
  ): PublishResult {
    const eventId = id ?? `${this.epoch}-${++this.sequence}`;
    const delivered = this.hub.deliver(channel, frameOf(event, eventId), exclude);
    return { id: eventId, delivered };
  }
}
