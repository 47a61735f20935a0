import type { ValidationError } from 'class-validator';
import { SseError } from './sse.error.js';
import { SseMessages } from '../sse.messages.js';

/** A published payload failed its channel's DTO; nothing was sent. */
export class SsePayloadValidationError extends SseError {
  override readonly name = 'SsePayloadValidationError';
  readonly code = 'SSE_INVALID_PAYLOAD';

  constructor(
    readonly channel: string,
    readonly errors: readonly ValidationError[],
  ) {
    super(SseMessages.payloadInvalid(channel, flatten(errors)));
  }
}

function flatten(errors: readonly ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}).map((message) =>
      prefix ? `${prefix}${message}` : message,
    ),
    ...flatten(error.children ?? [], `${prefix}${error.property}.`),
  ]);
}
