import type { Logger } from '@nestjs/common';
import type { OutboundFrame, SseLocalDelivery } from '../backends/index.js';
import { decodeBusMessage, type BusMessage } from './bus-message.js';
import type { ClusterDirectory } from './cluster-directory.js';
import type { HeldMessages } from './held-messages.js';
import type { OwnDeliveries } from './own-deliveries.js';
import { RedisMessages } from './redis.messages.js';

/** A catch-up under way, as the reader sees it: where to hold what the bus brings meanwhile. */
export interface CatchUpHold {
  readonly held: HeldMessages;
  /**
   * The sequence of the first event the bus brought during the catch-up's current pass: the
   * bus has every later event, in order, so the pass leaves them to the held messages.
   */
  liveFrom: number | undefined;
}

/** What the reader hands messages to. */
export interface BusReaderTargets {
  readonly delivery: SseLocalDelivery;
  readonly own: OwnDeliveries;
  readonly directory: ClusterDirectory;
  readonly instanceId: string;
  readonly logger: Logger;
}

/**
 * Reads the pub/sub channels the instance listens to: each message goes to the local
 * connections (or the directory), or, while a catch-up reads the streams, is held for after it.
 * Knows how far the bus has brought this instance: the global sequence of the newest event seen.
 */
export class BusReader {
  /**
   * The global sequence of the newest event received. The bus brings events in sequence order,
   * so every event up to it was handled here: what a lost subscription missed, on every
   * channel, is what comes after it.
   */
  private seen = 0;
  private hold: CatchUpHold | undefined;

  constructor(private readonly targets: BusReaderTargets) {}

  get seenSequence(): number {
    return this.seen;
  }

  /** Events arrive in sequence order, but a held or old-format message may not raise it. */
  noteSeen(sequence: number | undefined): void {
    if (sequence !== undefined && sequence > this.seen) this.seen = sequence;
  }

  /** Holds what arrives for `hold` until `release()`. */
  holdFor(hold: CatchUpHold): void {
    this.hold = hold;
  }

  /** Whether `hold` still holds (close() or a later catch-up may have taken over). */
  isHolding(hold: CatchUpHold): boolean {
    return this.hold === hold;
  }

  release(): void {
    this.hold = undefined;
  }

  /** Takes one message from the bus or this instance's channel; a bad one is logged, never thrown. */
  receive(buffer: Buffer): void {
    let message: BusMessage;
    try {
      message = decodeBusMessage(buffer);
    } catch (error) {
      this.targets.logger.error(RedisMessages.badMessage((error as Error).message));
      return;
    }
    const hold = this.hold;
    if (hold === undefined) return this.handle(message);
    // List requests and answers have no order to keep with events.
    if (message.kind === 'list-request' || message.kind === 'list-answer')
      return this.handle(message);
    if ((message.kind === 'event' || message.kind === 'finish') && message.sequence !== undefined)
      hold.liveFrom ??= message.sequence;
    if (hold.held.hold(message, buffer.length)) return;
    // Past the bound. A targeted send carries no id a client could replay it from: early is
    // better than lost. A dropped event of ours reached no one here.
    if (message.kind === 'to-connection' || message.kind === 'to-user') this.handle(message);
    else if (message.kind === 'event' && message.origin === this.targets.instanceId)
      this.targets.own.settle(message.channel, message.position, 0);
  }

  /** Hands a message to the local connections, or to the directory. */
  handle(message: BusMessage): void {
    const { delivery, own, directory, instanceId } = this.targets;
    switch (message.kind) {
      case 'event': {
        this.noteSeen(message.sequence);
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
        this.noteSeen(message.sequence);
        const { channel, position, origin, frame } = message;
        if (origin === instanceId && position === undefined) return;
        const last =
          frame.length > 0 ? { bytes: frame, isEvent: true, channel, position } : undefined;
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
        void this.targets.directory.answer(message);
        return;
      case 'list-answer':
        this.targets.directory.answered(message);
        return;
    }
  }
}
