import { SseMessages } from '../sse.messages.js';
import { SseError } from './sse.error.js';

/**
 * A publish to a channel that `BroadcastService.finish()` ended: its streams are over and
 * reconnects are answered 204 for `finished.ttlMs`, so nobody would receive the event. Nothing
 * was sent or stored.
 */
export class SseChannelFinishedError extends SseError {
  override readonly name = 'SseChannelFinishedError';
  readonly code = 'SSE_CHANNEL_FINISHED';

  constructor(readonly channel: string) {
    super(SseMessages.channelFinished(channel));
  }
}
