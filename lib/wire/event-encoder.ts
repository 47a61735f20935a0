import { SseEventError } from '../errors/sse-event.error.js';
import type { SseEvent } from '../interfaces/sse-event.interface.js';
import type { PreparedEvent } from '../interfaces/sse-frame.interface.js';
import { MAX_EVENT_ID_LENGTH } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';
import { isResumableId } from './event-id.js';
import { fieldLine, frameText } from './sse-frame.js';

/** CR, LF or NUL: the characters that would end or void a field line (WHATWG HTML 9.2.6). */
const FORBIDDEN_IN_FIELD = /[\r\n\0]/;
/** Line breaks the SSE parser recognises; each starts a new `data:` line. */
const LINE_BREAK = /\r\n|\r|\n/;

/**
 * The bytes of one event, ready to be written to any number of sockets.
 *
 * The frame is built as one string and converted once, so a broadcast costs one encoding
 * whatever the number of subscribers. Validation happens before anything is produced: an event
 * that cannot be written exactly as given throws {@link SseEventError} instead of being altered.
 */
export function encodeEvent(event: SseEvent): Buffer {
  const prepared = prepareEvent(event);
  const id = event.id === undefined ? undefined : checkedId(event.id);
  return Buffer.from(frameText(prepared, id), 'utf8');
}

/** Validates and serializes everything but the id; throws {@link SseEventError}. */
export function prepareEvent(event: SseEvent): PreparedEvent {
  let head = '';
  if (event.comment !== undefined) head += commentLines(event.comment);
  if (event.event !== undefined) head += fieldLine('event', checkedField('event', event.event));
  const tail = dataLines(serializeData(event.data)) + '\n';
  return {
    head,
    tail: event.retry === undefined ? tail : fieldLine('retry', checkedRetry(event.retry)) + tail,
    json: typeof event.data !== 'string',
  };
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

/** A frame with only a `retry:` field: sets the client's reconnection delay, dispatches nothing. */
export function encodeRetry(retryMs: number): Buffer {
  return Buffer.from(fieldLine('retry', checkedRetry(retryMs)) + '\n', 'utf8');
}

/**
 * `data` as the string that goes on the wire: strings unchanged, everything else JSON.
 * Throws {@link SseEventError} for undefined, functions, symbols, BigInt and cycles.
 */
function serializeData(data: unknown): string {
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
  if (!LINE_BREAK.test(text)) return fieldLine('data', text);
  let out = '';
  for (const line of text.split(LINE_BREAK)) out += fieldLine('data', line);
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
