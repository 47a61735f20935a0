import { isAscii } from '../protocol/ascii.js';
import { MAX_EVENT_ID_LENGTH } from '../sse.constants.js';
import { MAX_STREAM_ID_LENGTH } from './stream-position.js';

/** A stream's own id on several channels (see `stream-position.ts`): longer than ids apps choose. */
const STREAM_ID_CHARACTERS = /^[0-9a-z.-]+$/;

// ignoreBOM: a leading U+FEFF is part of the id, not a byte order mark; dropping it would
// read back a different id than the one the server wrote.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * True when a client that received `id` can send it back as `Last-Event-ID` and the server
 * reads the same string: the one rule for ids the server writes and ids it accepts back.
 *
 * An id travels back in an HTTP header, which changes or refuses what it cannot carry:
 * - empty: the client then sends no header at all (WHATWG HTML, "last event ID string");
 * - control characters (U+0000-U+001F, U+007F): CR, LF and NUL break the frame or void the
 *   field, and Node's HTTP parser answers 400 to the others;
 * - a leading or trailing space: header values are trimmed;
 * - an unpaired surrogate: it has no UTF-8 form, so it arrives as U+FFFD;
 * - longer than `maxLength` UTF-16 code units ({@link MAX_EVENT_ID_LENGTH} for an id the
 *   application chooses): the server does not read ids that long.
 *
 * Other characters are fine: clients send non-ASCII ids as their UTF-8 bytes (as `EventSource`
 * and this library's client do), and {@link lastEventIdFromHeader} decodes them.
 */
export function isResumableId(id: string, maxLength = MAX_EVENT_ID_LENGTH): boolean {
  if (id.length === 0 || id.length > maxLength) return false;
  if (id.charCodeAt(0) === 0x20 || id.charCodeAt(id.length - 1) === 0x20) return false;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
    if (code >= 0xd800 && code <= 0xdfff) {
      // A high surrogate followed by a low one is one character; anything else is unpaired.
      const next = id.charCodeAt(i + 1);
      if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}

/**
 * True for a `Last-Event-ID` this server could have written, given as a string already decoded:
 * an id an application chose ({@link isResumableId}), or a stream's own id, which may be longer.
 */
export function isReadableLastEventId(id: string): boolean {
  if (id.length <= MAX_EVENT_ID_LENGTH) return isResumableId(id);
  return id.length <= MAX_STREAM_ID_LENGTH && STREAM_ID_CHARACTERS.test(id);
}

/**
 * A `Last-Event-ID` header as the string the client meant. Node hands header values over as
 * one character per byte (latin1); a client sends an id as UTF-8, so bytes above 0x7F are
 * decoded as UTF-8. Returns undefined for bytes that are not UTF-8 (such an id was never one
 * this server wrote) or for an id it could not have written (see {@link isReadableLastEventId}).
 */
export function lastEventIdFromHeader(value: string): string | undefined {
  // UTF-8 takes at most three bytes per UTF-16 code unit (four for a surrogate pair): anything
  // longer cannot decode to an acceptable id.
  if (value.length > Math.max(MAX_EVENT_ID_LENGTH * 3, MAX_STREAM_ID_LENGTH)) return undefined;
  let id = value;
  if (!isAscii(value)) {
    try {
      id = UTF8.decode(Buffer.from(value, 'latin1'));
    } catch {
      return undefined;
    }
  }
  return isReadableLastEventId(id) ? id : undefined;
}
