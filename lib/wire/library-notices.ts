import {
  LIBRARY_EVENTS,
  type SseResetReason,
  type SseStreamErrorData,
} from '../protocol/library-events.js';
import { encodeEvent } from './event-encoder.js';

/**
 * `event: sse:position` with the stream's id and empty data. It dispatches nothing in a browser
 * that does not listen for it, yet sets the id a reconnect sends back; empty data, rather than
 * none, because parsers such as `eventsource-parser` (used by the `eventsource` package) drop a
 * frame without data, id included.
 */
export function positionNotice(streamId: string): Buffer {
  return encodeEvent({ event: LIBRARY_EVENTS.position, id: streamId, data: '' });
}

/** `event: sse:reset` with the reason, and the stream's id from now on when it is known. */
export function resetNotice(reason: SseResetReason, streamId: string | undefined): Buffer {
  return encodeEvent({ event: LIBRARY_EVENTS.reset, id: streamId, data: { reason } });
}

/** `event: sse:error`, the last event of a stream whose handler failed. */
export function errorNotice(data: SseStreamErrorData): Buffer {
  return encodeEvent({ event: LIBRARY_EVENTS.error, data });
}
