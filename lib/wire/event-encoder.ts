import { SseEventError } from '../errors/sse-event.error.js';
import type { SseEvent } from '../interfaces/sse-event.interface.js';
import { MAX_EVENT_ID_LENGTH } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';
import { isResumableId } from './event-id.js';

/** CR, LF or NUL: the characters that would end or void a field line (WHATWG HTML 9.2.6). */
const FORBIDDEN_IN_FIELD = /[\r\n\0]/;
/** Line breaks the SSE parser recognises; each starts a new `data:` line. */
const LINE_BREAK = /\r\n|\r|\n/;

const HEARTBEAT = Buffer.from(':\n\n', 'utf8');

/**
 * The bytes of one event, ready to be written to any number of sockets.
 *
 * The frame is built as one string and converted once, so a broadcast costs one encoding
 * whatever the number of subscribers. Validation happens before anything is produced: an event
 * that cannot be written exactly as given throws {@link SseEventError} instead of being altered.
 */
export function encodeEvent(event: SseEvent): Buffer {
  return Buffer.from(encodeEventText(event), 'utf8');
}

/**
 * An event validated and serialized except for its id, which a broadcast learns only from the
 * backend. `head` holds the comment and `event:` lines, `tail` the `retry:` and `data:` lines and
 * the blank line that dispatches the event.
 */
export interface PreparedEvent {
  readonly head: string;
  readonly tail: string;
  /** `data` was JSON-encoded (it was not a string): `history()` parses it back. */
  readonly json: boolean;
}

/** The text form of {@link encodeEvent}. */
export function encodeEventText(event: SseEvent): string {
  const prepared = prepareEvent(event);
  return frameText(prepared, event.id === undefined ? undefined : checkedId(event.id));
}

/** Validates and serializes everything but the id; throws {@link SseEventError}. */
export function prepareEvent(event: SseEvent): PreparedEvent {
  let head = '';
  if (event.comment !== undefined) head += commentLines(event.comment);
  if (event.event !== undefined) head += `event: ${checkedField('event', event.event)}\n`;
  const tail = dataLines(serializeData(event.data)) + '\n';
  return {
    head,
    tail: event.retry === undefined ? tail : `retry: ${checkedRetry(event.retry)}\n${tail}`,
    json: typeof event.data !== 'string',
  };
}

/** The frame of a prepared event with the given (already checked) id. */
export function frameOf(prepared: PreparedEvent, id: string | undefined): Buffer {
  return Buffer.from(frameText(prepared, id), 'utf8');
}

/**
 * Validates an event id: a string a client can send back as `Last-Event-ID` and have it read as
 * the same string ({@link isResumableId}); an id that could not come back would make the client
 * miss events without any `reset`. Throws {@link SseEventError} naming the field and the rule.
 */
export function checkedId(id: unknown): string {
  // CR, LF and NUL get the framing rule's message, as they do in `event`.
  const checked = checkedField('id', id);
  if (!isResumableId(checked))
    throw new SseEventError(SseMessages.idNotResumable(checked, MAX_EVENT_ID_LENGTH), 'id');
  return checked;
}

/** The text of a prepared event's frame, for transports that carry text (e.g. Redis). */
export function frameText({ head, tail }: PreparedEvent, id: string | undefined): string {
  return id === undefined ? head + tail : `${head}id: ${id}\n${tail}`;
}

const ID_LINE = Buffer.from('id: ');

/**
 * The frame with its `id:` line replaced by one with `id`: for a stream on several channels,
 * whose id differs from the event's own position. `frame` must have an `id:` line, as every
 * channel event has. Its lines before the id are comments (`:`) and `event:`, so the first
 * line starting with `id: ` is the id.
 */
export function withEventId(frame: Buffer, id: string): Buffer {
  let start = frame.indexOf(ID_LINE);
  while (start > 0 && frame[start - 1] !== 0x0a) start = frame.indexOf(ID_LINE, start + 1);
  if (start < 0) throw new Error('withEventId(): the frame has no id line');
  const end = frame.indexOf(0x0a, start);
  return Buffer.concat([
    frame.subarray(0, start),
    Buffer.from(`id: ${id}\n`, 'utf8'),
    frame.subarray(end + 1),
  ]);
}

/** A frame with only a `retry:` field: sets the client's reconnection delay, dispatches nothing. */
export function encodeRetry(retryMs: number): Buffer {
  return Buffer.from(`retry: ${checkedRetry(retryMs)}\n\n`, 'utf8');
}

/** The shared heartbeat frame: one empty comment. The same Buffer is written to every socket. */
export function heartbeatFrame(): Buffer {
  return HEARTBEAT;
}

/**
 * `data` as the string that goes on the wire: strings unchanged, everything else JSON.
 * Throws {@link SseEventError} for undefined, functions, symbols, BigInt and cycles.
 */
export function serializeData(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data === undefined) throw new SseEventError(SseMessages.dataMissing(), 'data');
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (error) {
    throw new SseEventError(SseMessages.dataNotSerializable((error as Error).message), 'data', {
      cause: error,
    });
  }
  if (json === undefined) {
    throw new SseEventError(
      SseMessages.dataNotSerializable(`${typeof data} has no JSON form`),
      'data',
    );
  }
  return json;
}

function dataLines(text: string): string {
  // Fast path: most payloads (all JSON) have no line break.
  if (!LINE_BREAK.test(text)) return `data: ${text}\n`;
  let out = '';
  for (const line of text.split(LINE_BREAK)) out += `data: ${line}\n`;
  return out;
}

function commentLines(text: string): string {
  if (typeof text !== 'string')
    throw new SseEventError(SseMessages.fieldNotString('comment', text), 'comment');
  let out = '';
  for (const line of text.split(LINE_BREAK)) out += line === '' ? ':\n' : `: ${line}\n`;
  return out;
}

function checkedField(field: 'event' | 'id', value: unknown): string {
  if (typeof value !== 'string')
    throw new SseEventError(SseMessages.fieldNotString(field, value), field);
  if (FORBIDDEN_IN_FIELD.test(value)) {
    throw new SseEventError(SseMessages.fieldHasLineBreak(field, value), field);
  }
  return value;
}

function checkedRetry(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SseEventError(SseMessages.retryInvalid(value), 'retry');
  }
  return value;
}
