import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

/**
 * This process's identity: a random id that prefixes every connection id (`<instance>-<n>`), so
 * ids are unique across instances and a distributed backend can route `sendTo()` by prefix.
 */
@Injectable()
export class SseInstance {
  readonly id = randomBytes(4).toString('hex');
  private sequence = 0;

  nextConnectionId(): string {
    return `${this.id}-${(++this.sequence).toString(36)}`;
  }
}
