import { describe, expect, it } from '@jest/globals';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { SseEventError } from '../errors/sse-event.error.js';
import type { SseEvent } from '../interfaces/sse-event.interface.js';
import { encodeEvent, encodeRetry } from './event-encoder.js';
import { withEventId } from './sse-frame.js';
import { isResumableId, lastEventIdFromHeader } from './event-id.js';

/** Feeds bytes to the reference parser the way a client receives them: in arbitrary chunks. */
function parse(chunks: Buffer[]): { events: EventSourceMessage[]; retries: number[] } {
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e), onRetry: (r) => retries.push(r) });
  const decoder = new TextDecoder();
  for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }));
  parser.feed(decoder.decode());
  return { events, retries };
}

const roundTrip = (event: SseEvent) => parse([encodeEvent(event)]).events;

/** Strings of any Unicode scalar values (lone surrogates have no UTF-8 form), line breaks likely. */
const anyText = fc.string({
  unit: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom('\n', '\r', '\r\n', ' ', ':', '\0', '\uFEFF', 'é', '😀'),
    },
    { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  ),
});
const fieldText = anyText.filter((s) => !/[\r\n\0]/.test(s));
/** Any string, lone surrogates and control characters included, short and long. */
const anyIdCandidate = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 140 }),
  fc.string({
    unit: fc.constantFrom(' ', '\t', '\x7f', '\x01', 'a', 'é', '\ufeff', '\ud83d', '\ude00'),
  }),
  fc.string({ unit: fc.constantFrom('a', ' ', '😀'), minLength: 120, maxLength: 140 }),
);

/** What Node's HTTP parser hands the server when a client sends `id` as UTF-8 header bytes. */
const asHeaderBytes = (id: string) => Buffer.from(id, 'utf8').toString('latin1');

describe('encodeEvent', () => {
  it('writes the fields in wire order and ends the frame with a blank line', () => {
    const bytes = encodeEvent({ comment: 'c', event: 'tick', id: '7', retry: 1000, data: 'x' });
    expect(bytes.toString()).toBe(': c\nevent: tick\nid: 7\nretry: 1000\ndata: x\n\n');
  });

  it('JSON-encodes non-string data', () => {
    expect(roundTrip({ data: { a: [1, 'b\nc'] } })[0]?.data).toBe('{"a":[1,"b\\nc"]}');
    expect(roundTrip({ data: 42 })[0]?.data).toBe('42');
    expect(roundTrip({ data: null })[0]?.data).toBe('null');
  });

  it('splits LF, CR and CRLF in data into several data lines', () => {
    expect(encodeEvent({ data: 'a\nb\rc\r\nd' }).toString()).toBe(
      'data: a\ndata: b\ndata: c\ndata: d\n\n',
    );
  });

  it('keeps an empty string as an event with empty data', () => {
    expect(roundTrip({ data: '' })).toEqual([{ data: '', event: undefined, id: undefined }]);
  });

  it.each([
    ['event', 'a\nb'],
    ['event', 'a\rb'],
    ['event', 'a\0b'],
    ['id', 'a\nb'],
    ['id', 'a\rb'],
    ['id', 'a\0b'],
  ] as const)('rejects %s containing a forbidden character (%j)', (field, value) => {
    const attempt = () => encodeEvent({ data: 'x', [field]: value });
    expect(attempt).toThrow(SseEventError);
    expect(attempt).toThrow(`"${field}" must not contain CR, LF or NUL`);
  });

  it.each([
    ['empty', ''],
    ['with a control character', 'a\x01b'],
    ['with DEL', 'a\x7fb'],
    ['with a tab', 'a\tb'],
    ['with a leading space', ' a'],
    ['with a trailing space', 'a '],
    ['with an unpaired high surrogate', 'a\ud83d'],
    ['with an unpaired low surrogate', '\ude00a'],
    ['longer than 128 UTF-16 code units', 'x'.repeat(129)],
    ['of 65 emoji, 130 UTF-16 code units', '😀'.repeat(65)],
  ])('rejects an id %s, which could not come back as Last-Event-ID', (_, id) => {
    const attempt = () => encodeEvent({ data: 'x', id });
    expect(attempt).toThrow(SseEventError);
    expect(attempt).toThrow(
      'SSE event field "id" must be 1 to 128 UTF-16 code units long (its string length) without control characters, unpaired surrogates or a leading or trailing space',
    );
    try {
      attempt();
    } catch (error) {
      expect((error as SseEventError).field).toBe('id');
    }
  });

  it.each([
    ['of 128 characters', 'x'.repeat(128)],
    ['of 64 emoji, 128 UTF-16 code units', '😀'.repeat(64)],
    ['with inner spaces', 'order 7 of 9'],
    ['outside ASCII', 'café-😀'],
    ['with a C1 control character, which HTTP carries as UTF-8', 'a\u0085b'],
  ])('accepts an id %s', (_, id) => {
    expect(parse([encodeEvent({ data: 'x', id })]).events[0]?.id).toBe(id);
  });

  it.each([-1, 1.5, Number.NaN, Infinity, '10'])('rejects retry %p', (retry) => {
    expect(() => encodeEvent({ data: 'x', retry: retry as number })).toThrow(
      /"retry" must be an integer/,
    );
  });

  it('rejects data that has no JSON form, naming the reason', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeEvent({ data: cyclic })).toThrow(
      /"data" cannot be JSON-encoded: .*circular/i,
    );
    expect(() => encodeEvent({ data: 10n })).toThrow(/"data" cannot be JSON-encoded/);
    expect(() => encodeEvent({ data: () => 1 })).toThrow(/function has no JSON form/);
    expect(() => encodeEvent({ data: undefined })).toThrow(/"data" is required/);
  });

  it('writes multi-line comments as several comment lines that clients ignore', () => {
    const bytes = encodeEvent({ comment: 'one\ntwo', data: 'x' });
    expect(bytes.toString()).toBe(': one\n: two\ndata: x\n\n');
    expect(parse([bytes]).events).toEqual([{ id: undefined, event: undefined, data: 'x' }]);
  });

  it('encodes retry-only frames that set the delay and dispatch nothing', () => {
    expect(parse([encodeRetry(2500)])).toEqual({ events: [], retries: [2500] });
  });
});

describe('encodeEvent round trip through eventsource-parser (property)', () => {
  it('delivers any string data byte-identical once line breaks are LF (the protocol joins data lines with LF)', () => {
    fc.assert(
      fc.property(anyText, (data) => {
        const [event] = roundTrip({ data });
        expect(event?.data).toBe(data.replace(/\r\n?/g, '\n'));
      }),
      { numRuns: 2000 },
    );
  });

  it('delivers data without CR exactly as given', () => {
    fc.assert(
      fc.property(
        anyText.filter((s) => !s.includes('\r')),
        (data) => {
          expect(roundTrip({ data })[0]?.data).toBe(data);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('delivers any valid event name and id exactly as given', () => {
    fc.assert(
      fc.property(fieldText, fieldText.filter(isResumableId), anyText, (event, id, data) => {
        const [parsed] = roundTrip({ event, id, data });
        // The spec dispatches an empty event type as "message"; eventsource-parser reports it as
        // undefined and leaves the default to the EventSource layer.
        expect(parsed?.event ?? '').toBe(event);
        expect(parsed?.id).toBe(id);
      }),
      { numRuns: 1000 },
    );
  });

  it('survives being split into chunks at any byte, including inside UTF-8 sequences', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ data: anyText, id: fieldText.filter(isResumableId), event: fieldText }),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
        fc.array(fc.nat(), { maxLength: 8 }),
        (events, cuts) => {
          const bytes = Buffer.concat(events.map((e) => encodeEvent(e)));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const chunks: Buffer[] = [];
          let start = 0;
          for (const p of [...points, bytes.length]) {
            chunks.push(bytes.subarray(start, p));
            start = p;
          }
          const parsed = parse(chunks).events;
          expect(parsed.map((e) => e.data)).toEqual(
            events.map((e) => e.data.replace(/\r\n?/g, '\n')),
          );
          expect(parsed.map((e) => e.id)).toEqual(events.map((e) => e.id));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('event ids and Last-Event-ID (property)', () => {
  it('reads back, from the header bytes a client sends, every id the encoder writes', () => {
    fc.assert(
      fc.property(anyIdCandidate, (id) => {
        let written: string | undefined;
        try {
          written = parse([encodeEvent({ data: 'x', id })]).events[0]?.id;
        } catch (error) {
          expect(error).toBeInstanceOf(SseEventError);
          return;
        }
        expect(written).toBe(id);
        expect(lastEventIdFromHeader(asHeaderBytes(id))).toBe(id);
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts as Last-Event-ID only ids the encoder would write', () => {
    fc.assert(
      fc.property(anyIdCandidate, (candidate) => {
        const read = lastEventIdFromHeader(asHeaderBytes(candidate));
        if (read === undefined) return;
        expect(parse([encodeEvent({ data: 'x', id: read })]).events[0]?.id).toBe(read);
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps a leading U+FEFF in an id read back from Last-Event-ID', () => {
    // A UTF-8 decoder drops a leading byte order mark by default, which would turn the id into
    // another one and end the resume with reset.
    expect(lastEventIdFromHeader(asHeaderBytes('\ufeffx'))).toBe('\ufeffx');
  });

  it('ignores header bytes that are not UTF-8, and oversized headers without decoding them', () => {
    // 'é' as one latin1 byte, as some clients send it: never an id this server wrote as UTF-8.
    expect(lastEventIdFromHeader('caf\xe9')).toBeUndefined();
    expect(lastEventIdFromHeader(asHeaderBytes('😀'.repeat(64)))).toBe('😀'.repeat(64));
    expect(lastEventIdFromHeader(asHeaderBytes('😀'.repeat(65)))).toBeUndefined();
    // The longest id in UTF-8: 128 characters of three bytes each.
    expect(lastEventIdFromHeader(asHeaderBytes('€'.repeat(128)))).toBe('€'.repeat(128));
    expect(lastEventIdFromHeader('x'.repeat(100_000))).toBeUndefined();
  });

  it("reads back a stream's own id on many channels, longer than an id an application chooses", () => {
    const id = Array.from({ length: 32 }, () => 'lq4yd1qe-2gosa7pa2gv').join('.');
    expect(id.length).toBeGreaterThan(128);
    expect(lastEventIdFromHeader(id)).toBe(id);
    // Not the characters of a stream id: an application's id, which is at most 128 long.
    expect(lastEventIdFromHeader(`${id.slice(0, 200)}_`)).toBeUndefined();
  });
});

describe('withEventId', () => {
  it('replaces the id line only, whatever comes before it', () => {
    const frame = encodeEvent({
      comment: 'id: not this one',
      event: 'x',
      id: '1-2',
      data: 'id: 3',
    });
    const moved = withEventId(frame, 'a-1.b-2').toString();
    expect(moved).toBe(': id: not this one\nevent: x\nid: a-1.b-2\ndata: id: 3\n\n');
  });

  it('refuses a frame without an id line, rather than writing a frame without one', () => {
    expect(() => withEventId(encodeEvent({ data: 'x' }), '1-1')).toThrow(/no id line/);
  });
});
