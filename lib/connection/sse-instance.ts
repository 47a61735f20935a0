import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { connectionIdOf } from '../wire/connection-id.js';

/**
 * This process's identity: a random id that prefixes every connection id (see
 * `connectionIdOf()`).
 */
@Injectable()
export class SseInstance {
  readonly id = randomBytes(4).toString('hex');
  private sequence = 0;

  nextConnectionId(): string {
    return connectionIdOf(this.id, ++this.sequence);
  }
}
