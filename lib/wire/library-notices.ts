import {
  LIBRARY_EVENTS,
  type SseResetReason,
  type SseStreamErrorData,
} from '../protocol/library-events.js';
import { encodeEvent } from './event-encoder.js';

/**
 * The last notice built: streams that open while their channels stand still (a crowd
 * connecting, or reconnecting after a restart) share one, where each used to encode its own.
 * Frames are never written into, so sharing the bytes is safe.
 */
let lastPosition: { readonly streamId: string; readonly bytes: Buffer } | undefined;

/**
 * `event: sse:position` with the stream's id and empty data. It dispatches nothing in a browser
 * that does not listen for it, yet sets the id a reconnect sends back; empty data, rather than
 * none, because parsers such as `eventsource-parser` (used by the `eventsource` package) drop a
 * frame without data, id included.
 */
export function positionNotice(streamId: string): Buffer {
  if (lastPosition?.streamId !== streamId)
    lastPosition = {
      streamId,
      bytes: encodeEvent({ event: LIBRARY_EVENTS.position, id: streamId, data: '' }),
    };
  return lastPosition.bytes;
}

/** `event: sse:reset` with the reason, and the stream's id from now on when it is known. */
export function resetNotice(reason: SseResetReason, streamId: string | undefined): Buffer {
  return encodeEvent({ event: LIBRARY_EVENTS.reset, id: streamId, data: { reason } });
}

/** `event: sse:error`, the last event of a stream whose handler failed. */
export function errorNotice(data: SseStreamErrorData): Buffer {
  return encodeEvent({ event: LIBRARY_EVENTS.error, data });
}
