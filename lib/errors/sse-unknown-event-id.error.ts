import { SseError } from './sse.error.js';
import { SseMessages } from '../sse.messages.js';
/**
 * `BroadcastService.history()` was asked for events after an id that is not in the channel's
 * history: never issued there (`unknown-id`), or already dropped by the history bounds
 * (`evicted`). Reload the state instead of trusting a partial list.
 */
export class SseUnknownEventIdError extends SseError {
  override readonly name = 'SseUnknownEventIdError';
  readonly code = 'SSE_UNKNOWN_EVENT_ID';

  constructor(
    readonly channel: string,
    readonly reason: 'unknown-id' | 'evicted',
  ) {
    super(SseMessages.unknownEventId(channel, reason));
  }
}
