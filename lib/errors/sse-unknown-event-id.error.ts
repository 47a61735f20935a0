/**
 * `BroadcastService.history()` was asked for events after an id that is not in the channel's
 * history: never issued there (`unknown-id`), or already dropped by the history bounds
 * (`evicted`). Reload the state instead of trusting a partial list.
 */
export class SseUnknownEventIdError extends Error {
  override readonly name = 'SseUnknownEventIdError';

  constructor(
    readonly channel: string,
    readonly reason: 'unknown-id' | 'evicted',
  ) {
    super(
      `Event id is not in the history of channel "${channel}" (${reason === 'evicted' ? 'evicted' : 'unknown'})`,
    );
  }
}
