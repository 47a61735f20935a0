import type { PreparedEvent } from '../interfaces/sse-frame.interface.js';
import { SseMessages } from '../sse.messages.js';

/**
 * The fields this library writes, as their lines start: the name, a colon and one space (which
 * parsers strip). Every frame is assembled from these, here and in the Redis publish script.
 */
export const SSE_FIELD = {
  id: 'id: ',
  event: 'event: ',
  data: 'data: ',
  retry: 'retry: ',
} as const;

/** One field line; `value` must already be checked (no CR, LF or NUL). */
export function fieldLine(field: keyof typeof SSE_FIELD, value: string | number): string {
  return `${SSE_FIELD[field]}${value}\n`;
}

/** The text of a prepared event's frame, for transports that carry text (e.g. Redis). */
export function frameText({ head, tail }: PreparedEvent, id: string | undefined): string {
  return id === undefined ? head + tail : head + fieldLine('id', id) + tail;
}

/** The frame of a prepared event with the given (already checked) id. */
export function frameOf(prepared: PreparedEvent, id: string | undefined): Buffer {
  return Buffer.from(frameText(prepared, id), 'utf8');
}

const ID_LINE = Buffer.from(SSE_FIELD.id);

/**
 * The frame with its `id:` line replaced by one with `id`: for a stream on several channels,
 * whose id differs from the event's own position. `frame` must have an `id:` line, as every
 * channel event has. Its lines before the id are comments (`:`) and `event:`, so the first
 * line starting with `id: ` is the id.
 */
export function withEventId(frame: Buffer, id: string): Buffer {
  let start = frame.indexOf(ID_LINE);
  while (start > 0 && frame[start - 1] !== 0x0a) start = frame.indexOf(ID_LINE, start + 1);
  if (start < 0) throw new Error(SseMessages.frameWithoutId());
  const end = frame.indexOf(0x0a, start);
  return Buffer.concat([
    frame.subarray(0, start),
    Buffer.from(fieldLine('id', id), 'utf8'),
    frame.subarray(end + 1),
  ]);
}

const HEARTBEAT = Buffer.from(':\n\n', 'utf8');

/** The shared heartbeat frame: one empty comment. The same Buffer is written to every socket. */
export function heartbeatFrame(): Buffer {
  return HEARTBEAT;
}
