import { SseMessages } from '../sse.messages.js';
import { SseError } from './sse.error.js';

/** A channel name that is not 1 to 200 characters without control characters. */
export class SseChannelNameError extends SseError {
  override readonly name = 'SseChannelNameError';
  readonly code = 'SSE_INVALID_CHANNEL';

  constructor(readonly channel: unknown) {
    super(SseMessages.channelInvalid(channel));
  }
}
