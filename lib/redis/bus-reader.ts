import type { Logger } from '@nestjs/common';
import type { OutboundFrame, SseLocalDelivery } from '../backends/index.js';
import { decodeBusMessage, type BusMessage } from './bus-message.js';
import type { ChannelFeed } from './channel-feed.js';
import type { ClusterDirectory } from './cluster-directory.js';
import type { HeldMessages } from './held-messages.js';
import type { OwnDeliveries } from './own-deliveries.js';
import { RedisMessages } from './redis.messages.js';

/** What the reader hands messages to. */
export interface BusReaderTargets {
  readonly delivery: SseLocalDelivery;
  readonly own: OwnDeliveries;
  readonly directory: ClusterDirectory;
  readonly feed: ChannelFeed;
  readonly instanceId: string;
  readonly logger: Logger;
}

/**
 * Reads the pub/sub channels the instance listens to: each message goes to the local
 * connections (or the directory), or, while a catch-up reads the streams, is held for after it.
 */
export class BusReader {
  private held: HeldMessages | undefined;

  constructor(private readonly targets: BusReaderTargets) {}

  /** Holds what arrives in `held` until `release()`. */
  holdIn(held: HeldMessages): void {
    this.held = held;
  }

  /** Whether `held` still holds (close() may have released it). */
  isHolding(held: HeldMessages): boolean {
    return this.held === held;
  }

  release(): void {
    this.held = undefined;
  }

  /** Takes one message from a channel the instance listens to; logs a bad one, never throws. */
  receive(buffer: Buffer): void {
    let message: BusMessage;
    try {
      message = decodeBusMessage(buffer);
    } catch (error) {
      this.targets.logger.error(RedisMessages.badMessage((error as Error).message));
      return;
    }
    const held = this.held;
    if (held === undefined) return this.handle(message);
    // List requests and answers have no order to keep with events.
    if (message.kind === 'list-request' || message.kind === 'list-answer')
      return this.handle(message);
    if (held.hold(message, buffer.length)) return;
    // Past the bound. A targeted send carries no id a client could replay it from: early is
    // better than lost. A dropped event of ours reached no one here.
    if (message.kind === 'to-connection' || message.kind === 'to-user') this.handle(message);
    else if (message.kind === 'event' && message.origin === this.targets.instanceId)
      this.targets.own.settle(message.channel, message.position, 0);
  }

  /** Hands a message to the local connections, or to the directory. */
  handle(message: BusMessage): void {
    const { delivery, own, directory, feed, instanceId } = this.targets;
    switch (message.kind) {
      case 'event': {
        // A catch-up reads Redis on the command connection: it can deliver an event before its
        // message, already on the subscriber's socket, is read after the catch-up has ended.
        if (!feed.advance(message.channel, message.position)) {
          if (message.origin === instanceId) own.settle(message.channel, message.position, 0);
          return;
        }
        const outbound: OutboundFrame = {
          bytes: message.frame,
          isEvent: true,
          channel: message.channel,
          position: message.position,
          conflateKey: message.conflateKey,
        };
        const exclude = message.exclude.length > 0 ? new Set(message.exclude) : undefined;
        const delivered = delivery.toChannel(message.channel, outbound, exclude);
        if (message.origin === instanceId) own.settle(message.channel, message.position, delivered);
        return;
      }
      case 'finish': {
        const { channel, position, origin, frame } = message;
        // Its final event, unless a catch-up handed it already (see above).
        const fresh = position === undefined || feed.advance(channel, position);
        if (origin === instanceId && position === undefined) return;
        const last =
          frame.length > 0 && fresh
            ? { bytes: frame, isEvent: true, channel, position }
            : undefined;
        const ended = delivery.finishChannel(channel, last);
        if (origin === instanceId && position !== undefined) own.settle(channel, position, ended);
        return;
      }
      case 'to-connection':
        delivery.toConnection(message.connectionId, { bytes: message.frame, isEvent: true });
        return;
      case 'to-user':
        if (message.origin !== instanceId)
          delivery.toUser(message.userId, { bytes: message.frame, isEvent: true });
        return;
      case 'list-request':
        void directory.answer(message);
        return;
      case 'list-answer':
        directory.answered(message);
        return;
    }
  }
}
