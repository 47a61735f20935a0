import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type ServerResponse } from 'node:http';
import { from, take, toArray } from 'rxjs';
import {
  connect,
  SseClientError,
  SseConnectionError,
  SseHttpError,
  SseParseError,
  SseStreamError,
  type SseClientOptions,
  type SseStream,
  type SseStreamState,
} from '../lib/client/index.js';
import { recordStream, type SseRecording } from '../lib/testing/index.js';
import { observedFetch } from './support/hostile-fetch.js';
import { trackLibraryTimers } from './support/library-timers.js';
import { waitUntil } from './support/wait.js';
import {
  HostileSseServer,
  sendAndEnd,
  status,
  type HostileHandler,
} from './support/hostile-sse-server.js';

/** Fast reconnects without jitter, so tests wait milliseconds, not the 3 s default. */
const QUICK: SseClientOptions = { retryMs: 5, backoff: false };

/** Events, split and terminated in every way the format allows. */
const TRICKY_EVENTS = [
  ': a comment first\n',
  'retry: 5\n',
  'event: greeting\nid: 1\ndata: héllo wörld 😀\n\n',
  'data: line one\ndata: line two\n\n',
  'data:no space\n\n',
  'data\n\n',
  'id: 2\nevent: json\ndata: {"n":2}\n\n',
  'unknown: ignored\ndata: after an unknown field\n\n',
].join('');

const TRICKY_MESSAGES = [
  { event: 'greeting', id: '1', data: 'héllo wörld 😀', retry: 5 },
  { event: 'message', id: undefined, data: 'line one\nline two', retry: 5 },
  { event: 'message', id: undefined, data: 'no space', retry: 5 },
  { event: 'message', id: undefined, data: '', retry: 5 },
  { event: 'json', id: '2', data: '{"n":2}', retry: 5 },
  { event: 'message', id: undefined, data: 'after an unknown field', retry: 5 },
];

describe('client against a hostile server', () => {
  let server: HostileSseServer;
  const streams: Array<SseStream<unknown>> = [];
  const open = (path: string, options: SseClientOptions = {}): SseStream<string> => {
    const stream = connect(`${server.url}${path}`, { ...QUICK, ...options });
    streams.push(stream);
    return stream;
  };
  const record = <T>(stream: SseStream<T>): SseRecording<T> => recordStream(stream);

  beforeEach(async () => {
    server = await HostileSseServer.start();
  });
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await server.close();
  });

  describe('parsing', () => {
    it('parses events the server writes one byte at a time', async () => {
      server.route(
        '/bytes',
        async (x) => {
          x.open();
          await x.write(TRICKY_EVENTS, { byteByByte: true });
          x.end();
        },
        status(204),
      );
      const messages = await record(open('/bytes')).waitForEnd();
      expect(messages).toEqual(TRICKY_MESSAGES);
    });

    it.each([
      ['LF', '\n'],
      ['CR', '\r'],
      ['CRLF', '\r\n'],
    ])('parses %s line endings, with every read one byte long', async (_name, eol) => {
      const splitter = observedFetch({ byteByByte: true });
      const payload = '\uFEFF' + TRICKY_EVENTS.replaceAll('\n', eol);
      server.route('/eol', sendAndEnd(payload), status(204));
      const messages = await record(open('/eol', { fetch: splitter.fetch })).waitForEnd();
      expect(messages).toEqual(TRICKY_MESSAGES);
      expect(splitter.reads()).toBe(Buffer.byteLength(payload));
    });

    it('parses a stream that mixes CR, LF and CRLF', async () => {
      server.route(
        '/mixed',
        sendAndEnd('data: a\r\ndata: b\rdata: c\n\r\nid: 7\revent: e\r\ndata: d\n\n'),
        status(204),
      );
      const messages = await record(open('/mixed')).waitForEnd();
      expect(messages.map((m) => [m.event, m.id, m.data])).toEqual([
        ['message', undefined, 'a\nb\nc'],
        ['e', '7', 'd'],
      ]);
    });

    it('ignores a byte order mark at the start of the stream, even split across reads', async () => {
      const splitter = observedFetch({ byteByByte: true });
      server.route('/bom', sendAndEnd('\uFEFFevent: first\ndata: x\n\n'), status(204));
      const messages = await record(open('/bom', { fetch: splitter.fetch })).waitForEnd();
      expect(messages).toEqual([{ event: 'first', id: undefined, data: 'x', retry: undefined }]);
    });
  });

  describe('reconnecting', () => {
    it('waits the retry the server sets before reconnecting, and follows changes', async () => {
      server.route(
        '/retry',
        sendAndEnd('retry: 300\ndata: a\n\n'),
        sendAndEnd('retry: 40\ndata: b\n\n'),
        status(204),
      );
      // Default backoff: jitter may lengthen the delay, never shorten it.
      const messages = await record(open('/retry', { backoff: undefined })).waitForEnd();
      expect(messages.map((m) => [m.data, m.retry])).toEqual([
        ['a', 300],
        ['b', 40],
      ]);
      const [first, second, third] = server.requestsTo('/retry').map((r) => r.at);
      const firstGap = (second as number) - (first as number);
      const secondGap = (third as number) - (second as number);
      // 1 ms of slack for timer rounding; the upper bounds are retry x (1 + jitter) plus slack.
      expect(firstGap).toBeGreaterThanOrEqual(299);
      expect(firstGap).toBeLessThan(300 * 1.5 + 150);
      expect(secondGap).toBeGreaterThanOrEqual(39);
      expect(secondGap).toBeLessThan(300);
    });

    it('sends Last-Event-ID on every reconnect, starting from the lastEventId option', async () => {
      server.route(
        '/resume',
        sendAndEnd('id: 42\ndata: a\n\n'),
        sendAndEnd('data: no id keeps 42\n\n'),
        sendAndEnd('id:\ndata: an empty id resets it\n\n'),
        status(204),
      );
      await record(open('/resume', { lastEventId: '41' })).waitForEnd();
      expect(server.requestsTo('/resume').map((r) => r.headers['last-event-id'])).toEqual([
        '41',
        '42',
        '42',
        undefined,
      ]);
    });

    it('sends a non-ASCII id back as its UTF-8 bytes, as EventSource does', async () => {
      server.route('/unicode', sendAndEnd('id: café-😀\ndata: x\n\n'), status(204));
      await record(open('/unicode')).waitForEnd();
      const header = String(server.requestsTo('/unicode')[1]?.headers['last-event-id']);
      expect(Buffer.from(header, 'latin1').toString('utf8')).toBe('café-😀');
    });

    it('discards an event cut off by a dropped connection, then resumes after the last whole one', async () => {
      const watched = observedFetch();
      const whole = 'id: 1\ndata: one\n\n';
      const cut = 'id: 2\ndata: tw';
      server.route(
        '/drop',
        async (x) => {
          x.open();
          await x.write(whole + cut);
          // Drop only once the client has the bytes: a reset can discard what fetch received
          // but nobody read yet, and then there would be no half event to discard.
          await watched.whenBytesRead(Buffer.byteLength(whole + cut));
          x.drop();
        },
        sendAndEnd('id: 2\ndata: two\n\n'),
        status(204),
      );
      const messages = await record(open('/drop', { fetch: watched.fetch })).waitForEnd();
      expect(messages.map((m) => m.data)).toEqual(['one', 'two']);
      expect(server.requestsTo('/drop')[1]?.headers['last-event-id']).toBe('1');
    });

    it('drops events the server replays after a reconnect', async () => {
      server.route(
        '/replay',
        sendAndEnd('id: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\n'),
        sendAndEnd('id: 2\ndata: 2\n\nid: 3\ndata: 3\n\nid: 4\ndata: 4\n\n'),
        status(204),
      );
      const messages = await record(open('/replay')).waitForEnd();
      expect(messages.map((m) => m.id)).toEqual(['1', '2', '3', '4']);
    });

    it('keeps an id repeated within one connection, and replays when dedupeWindow is 0', async () => {
      const script = [
        sendAndEnd('id: 1\ndata: a\n\nid: 1\ndata: b\n\n'),
        sendAndEnd('id: 1\ndata: c\n\n'),
        status(204),
      ];
      server.route('/same', ...script).route('/off', ...script);
      const deduped = await record(open('/same')).waitForEnd();
      const kept = await record(open('/off', { dedupeWindow: 0 })).waitForEnd();
      expect(deduped.map((m) => m.data)).toEqual(['a', 'b']);
      expect(kept.map((m) => m.data)).toEqual(['a', 'b', 'c']);
    });

    it('grows the delay while attempts keep failing, up to backoff.maxMs', async () => {
      // Dropped before any response: attempts that fail without a connection opening.
      const drop: HostileHandler = (x) => x.drop();
      server.route('/down', drop, drop, drop, drop, sendAndEnd('data: back\n\n'), status(204));
      const stream = open('/down', { retryMs: 20, backoff: { factor: 4, maxMs: 100, jitter: 0 } });
      expect((await record(stream).waitForEnd()).map((m) => m.data)).toEqual(['back']);
      const at = server.requestsTo('/down').map((r) => r.at);
      const gaps = at.slice(1, 5).map((time, i) => time - (at[i] as number));
      // 20, 80, then 100 where the factor alone would give 320 and 1280 (1 ms of timer slack).
      expect(gaps).toHaveLength(4);
      expect(gaps[0]).toBeGreaterThanOrEqual(19);
      expect(gaps[1]).toBeGreaterThanOrEqual(79);
      for (const gap of gaps.slice(2)) {
        expect(gap).toBeGreaterThanOrEqual(99);
        expect(gap).toBeLessThan(1000);
      }
    });

    it('gives up with SseConnectionError after maxRetries failed attempts in a row', async () => {
      const closedPort = await unusedPort();
      const states: SseStreamState[] = [];
      const stream = connect(`http://127.0.0.1:${closedPort}/nobody`, {
        ...QUICK,
        maxRetries: 2,
        onStateChange: (state) => states.push(state),
      });
      streams.push(stream);
      const error = await record(stream).waitForError();
      expect(error).toBeInstanceOf(SseConnectionError);
      expect(error).toBeInstanceOf(SseClientError);
      expect((error as SseConnectionError).attempts).toBe(3);
      expect((error as SseConnectionError).cause).toBeDefined();
      expect((error as Error).message).toMatch(
        /^SSE GET http:\/\/127\.0\.0\.1:\d+\/nobody: gave up after 3 failed connection attempts in a row/,
      );
      expect(states).toEqual(['closed']);
    });

    it('resets the count of failures whenever a connection opens', async () => {
      // Each clean end is one failure in a row at most, so maxRetries 1 never runs out.
      server.route(
        '/flaky',
        sendAndEnd('id: 1\ndata: 1\n\n'),
        sendAndEnd('id: 2\ndata: 2\n\n'),
        sendAndEnd('id: 3\ndata: 3\n\n'),
        status(204),
      );
      const messages = await record(open('/flaky', { maxRetries: 1 })).waitForEnd();
      expect(messages.map((m) => m.id)).toEqual(['1', '2', '3']);
    });

    it('ends without error after a clean end when maxRetries is 0', async () => {
      server.route('/once', sendAndEnd('data: only\n\n'));
      const messages = await record(open('/once', { maxRetries: 0 })).waitForEnd();
      expect(messages.map((m) => m.data)).toEqual(['only']);
      expect(server.requestsTo('/once')).toHaveLength(1);
    });

    it('calls the headers function before every attempt', async () => {
      server.route('/auth', sendAndEnd('data: a\n\n'), sendAndEnd('data: b\n\n'), status(204));
      let token = 0;
      const stream = open('/auth', {
        headers: async () => ({ authorization: `Bearer ${++token}` }),
      });
      await record(stream).waitForEnd();
      expect(server.requestsTo('/auth').map((r) => r.headers.authorization)).toEqual([
        'Bearer 1',
        'Bearer 2',
        'Bearer 3',
      ]);
    });

    it('ends with the error a headers function throws, without retrying', async () => {
      const stream = open('/never', {
        headers: () => {
          throw new Error('token store unavailable');
        },
      });
      const error = await record(stream).waitForError();
      expect((error as Error).message).toBe('token store unavailable');
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('the watchdog', () => {
    it('replaces a connection that goes silent for heartbeatTimeoutMs', async () => {
      let stalled: Promise<void> | undefined;
      server.route(
        '/stall',
        async (x) => {
          x.open();
          await x.write('id: 1\ndata: then silence\n\n');
          stalled = x.closed;
        },
        sendAndEnd('id: 2\ndata: fresh\n\n'),
        status(204),
      );
      const reasons: unknown[] = [];
      const stream = open('/stall', {
        heartbeatTimeoutMs: 150,
        onStateChange: (state, error) => {
          if (state === 'connecting') reasons.push(error);
        },
      });
      const messages = await record(stream).waitForEnd();
      expect(messages.map((m) => m.data)).toEqual(['then silence', 'fresh']);
      await stalled;
      const [first, second] = server.requestsTo('/stall').map((r) => r.at);
      expect((second as number) - (first as number)).toBeGreaterThanOrEqual(149);
      expect(String(reasons[0])).toContain('nothing arrived for 150 ms');
      expect(server.requestsTo('/stall')[1]?.headers['last-event-id']).toBe('1');
    });

    it('replaces a connection whose response headers never come', async () => {
      server.route('/no-headers', () => undefined, sendAndEnd('data: finally\n\n'), status(204));
      const messages = await record(open('/no-headers', { heartbeatTimeoutMs: 100 })).waitForEnd();
      expect(messages.map((m) => m.data)).toEqual(['finally']);
    });

    it('counts comments as signs of life', async () => {
      server.route(
        '/comments',
        async (x) => {
          x.open();
          // 12 x 25 ms = 300 ms of comments, twice the timeout, before the only event.
          for (let i = 0; i < 12; i++) {
            await x.write(':\n\n');
            await new Promise((resolve) => setTimeout(resolve, 25));
          }
          await x.write('data: still here\n\n');
          x.end();
        },
        status(204),
      );
      const messages = await record(open('/comments', { heartbeatTimeoutMs: 150 })).waitForEnd();
      expect(messages.map((m) => m.data)).toEqual(['still here']);
      expect(server.requestsTo('/comments')).toHaveLength(2);
    });
  });

  describe("the library's own events", () => {
    it('keeps sse:position out of the messages, and resumes from its id', async () => {
      server.route(
        '/position',
        sendAndEnd('retry: 5\n\nevent: sse:position\nid: 7-1\ndata:\n\n'),
        sendAndEnd('id: 7-2\ndata: after\n\n'),
        status(204),
      );
      const messages = await record(open('/position')).waitForEnd();
      expect(messages.map((m) => [m.id, m.data])).toEqual([['7-2', 'after']]);
      expect(server.requestsTo('/position').map((r) => r.headers['last-event-id'])).toEqual([
        undefined,
        '7-1',
        '7-2',
      ]);
    });

    it('hands onReset each sse:reset in its place among the messages, awaited, never as a message', async () => {
      server.route(
        '/reset',
        sendAndEnd(
          'id: 1-1\ndata: a\n\nevent: sse:reset\nid: 1-5\ndata: {"reason":"evicted"}\n\nid: 1-6\ndata: b\n\n',
        ),
        status(204),
      );
      const seen: string[] = [];
      const stream = open('/reset', {
        onReset: async (reset) => {
          seen.push(`reset ${reset.reason} ${reset.lastEventId}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
          seen.push('reloaded');
        },
      });
      for await (const message of stream) {
        seen.push(`message ${message.data}`);
        if (message.data === 'a') expect(stream.lastEventId).toBe('1-1');
      }
      expect(seen).toEqual(['message a', 'reset evicted 1-5', 'reloaded', 'message b']);
      expect(stream.lastEventId).toBe('1-6');
    });

    it('skips sse:reset without onReset, and resumes from its id', async () => {
      server.route(
        '/reset-quiet',
        sendAndEnd('data: a\n\nevent: sse:reset\nid: 1-5\ndata: {"reason":"unknown-id"}\n\n'),
        status(204),
      );
      const messages = await record(open('/reset-quiet')).waitForEnd();
      expect(messages.map((m) => m.data)).toEqual(['a']);
      expect(server.requestsTo('/reset-quiet')[1]?.headers['last-event-id']).toBe('1-5');
    });

    it('fails with SseStreamError, without reconnecting, when sse:error says retrying cannot help', async () => {
      server.route(
        '/revoked',
        sendAndEnd(
          'data: x\n\nevent: sse:error\ndata: {"message":"Forbidden","status":403,"retryable":false}\n\n',
        ),
      );
      const recorded = record(open('/revoked'));
      const error = (await recorded.waitForError()) as SseStreamError;
      expect(recorded.received.map((m) => m.data)).toEqual(['x']);
      expect(error).toBeInstanceOf(SseStreamError);
      expect(error).toMatchObject({ status: 403, retryable: false });
      expect(error.message).toMatch(/the server's stream failed \(403: "Forbidden"\)$/);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.requestsTo('/revoked')).toHaveLength(1);
    });

    it('backs off after each retryable sse:error, and gives up after maxRetries with it as the cause', async () => {
      server.route(
        '/flaky',
        sendAndEnd(
          'event: sse:error\ndata: {"message":"Internal server error","status":500,"retryable":true}\n\n',
        ),
      );
      const recorded = record(
        open('/flaky', { retryMs: 40, backoff: { factor: 2, jitter: 0 }, maxRetries: 3 }),
      );
      const error = (await recorded.waitForError()) as SseConnectionError;
      expect(error).toBeInstanceOf(SseConnectionError);
      expect(error.cause).toBeInstanceOf(SseStreamError);
      const at = server.requestsTo('/flaky').map((r) => r.at);
      expect(at).toHaveLength(4);
      // 40, 80, 160 ms: the handler is not rerun every retry as if the stream had worked.
      const gaps = at.slice(1).map((time, i) => time - (at[i] as number));
      expect(gaps[1] as number).toBeGreaterThanOrEqual(75);
      expect(gaps[2] as number).toBeGreaterThanOrEqual(155);
    });
  });

  describe('failing', () => {
    it('stops without an error on HTTP 204', async () => {
      server.route('/gone', status(204));
      const stream = open('/gone');
      const recorded = record(stream);
      expect(await recorded.waitForEnd()).toEqual([]);
      expect(stream.state).toBe('closed');
      await expect(stream.opened()).rejects.toThrow(/was closed before a connection opened/);
      expect(server.requestsTo('/gone')).toHaveLength(1);
    });

    it('fails with SseHttpError carrying the status and a bounded body excerpt on 500', async () => {
      server.route('/boom', status(500, `database exploded ${'x'.repeat(5000)}`));
      const error = (await record(open('/boom', { retryMs: 0 })).waitForError()) as SseHttpError;
      expect(error).toBeInstanceOf(SseHttpError);
      expect(error.status).toBe(500);
      expect(error.statusText).toBe('Internal Server Error');
      expect(error.contentType).toBe('text/plain');
      expect(error.body).toHaveLength(1024);
      expect(error.body.startsWith('database exploded xxx')).toBe(true);
      expect(error.message).toMatch(
        /^SSE GET http:\/\/127\.0\.0\.1:\d+\/boom answered HTTP 500 Internal Server Error instead of 200: "database exploded x+\.\.\."$/,
      );
      expect(server.requestsTo('/boom')).toHaveLength(1);
    });

    it.each([
      [502, 'Bad Gateway'],
      [503, 'Service Unavailable'],
    ])(
      'ends with SseHttpError when a reconnect is answered %i (a rolling deploy), as EventSource does',
      async (code, statusText) => {
        server.route(
          '/deploy',
          sendAndEnd('id: 1\ndata: before the deploy\n\n'),
          status(code, 'upstream restarting'),
          sendAndEnd('data: never asked for\n\n'),
        );
        const stream = open('/deploy');
        const recorded = record(stream);
        const error = (await recorded.waitForError()) as SseHttpError;
        expect(recorded.received.map((m) => m.data)).toEqual(['before the deploy']);
        expect(error).toBeInstanceOf(SseHttpError);
        expect([error.status, error.statusText, error.body]).toEqual([
          code,
          statusText,
          'upstream restarting',
        ]);
        expect(server.requestsTo('/deploy').map((r) => r.headers['last-event-id'])).toEqual([
          undefined,
          '1',
        ]);
        // Where a new connect() resumes, with the lastEventId option.
        expect(stream.lastEventId).toBe('1');
      },
    );

    it('fails with SseHttpError when a 200 is not text/event-stream', async () => {
      server.route('/html', status(200, '<h1>Login</h1>', 'text/html'));
      const error = (await record(open('/html')).waitForError()) as SseHttpError;
      expect(error).toBeInstanceOf(SseHttpError);
      expect(error.status).toBe(200);
      expect(error.contentType).toBe('text/html');
      expect(error.body).toBe('<h1>Login</h1>');
      expect(error.message).toContain('answered 200 with content-type "text/html"');
    });

    it('leaves the query string, where tokens travel, out of error messages', async () => {
      server.route('/secret', status(401));
      const stream = open('/secret?token=hunter2');
      const error = (await record(stream).waitForError()) as SseHttpError;
      expect(error.message).not.toContain('hunter2');
      expect(error.message).toContain('/secret?...');
      expect(error.url).toBe(`${server.url}/secret?token=hunter2`);
    });

    it.each([
      ['in one chunk', false],
      ['one byte at a time', true],
    ])(
      'fails with SseParseError when an event outgrows maxEventSize (%s), and drops the connection',
      async (_how, byteByByte) => {
        let closed: Promise<void> | undefined;
        server.route('/huge', async (x) => {
          closed = x.closed;
          x.open();
          await x.write(`data: ${'x'.repeat(5000)}\n\n`);
        });
        const { fetch } = observedFetch({ byteByByte });
        const stream = open('/huge', { maxEventSize: 1000, fetch });
        const error = (await record(stream).waitForError()) as SseParseError;
        expect(error).toBeInstanceOf(SseParseError);
        expect(error.reason).toBe('event-too-large');
        expect(error.message).toContain('maxEventSize (1000 characters');
        await closed;
      },
    );

    it('fails json() with SseParseError naming the event when its data is not JSON', async () => {
      server.route('/json', sendAndEnd('data: {"ok":true}\n\nevent: oops\nid: 9\ndata: {nope\n\n'));
      const recorded = record(open('/json').json<{ ok: boolean }>());
      const error = (await recorded.waitForError()) as SseParseError;
      expect(recorded.received.map((m) => m.data)).toEqual([{ ok: true }]);
      expect(error).toBeInstanceOf(SseParseError);
      expect(error.reason).toBe('invalid-json');
      expect([error.event, error.id, error.data]).toEqual(['oops', '9', '{nope']);
      expect(error.message).toMatch(/^SSE event "oops" \(id "9"\) from .* is not JSON: /);
    });
  });

  describe('requests', () => {
    it('sends a POST body, again on every reconnect', async () => {
      server.route('/search', sendAndEnd('data: page 1\n\n'), status(204));
      const stream = open('/search', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'sse' }),
      });
      await record(stream).waitForEnd();
      const requests = server.requestsTo('/search');
      expect(requests.map((r) => [r.method, r.headers['content-type'], r.body])).toEqual([
        ['POST', 'application/json', '{"query":"sse"}'],
        ['POST', 'application/json', '{"query":"sse"}'],
      ]);
      expect(requests.map((r) => r.headers.accept)).toEqual([
        'text/event-stream',
        'text/event-stream',
      ]);
    });

    it('calls a body function before every attempt', async () => {
      server.route('/cursor', sendAndEnd('id: 1\ndata: x\n\n'), status(204));
      let attempt = 0;
      const stream = open('/cursor', { method: 'PUT', body: () => `attempt ${++attempt}` });
      await record(stream).waitForEnd();
      expect(server.requestsTo('/cursor').map((r) => [r.method, r.body])).toEqual([
        ['PUT', 'attempt 1'],
        ['PUT', 'attempt 2'],
      ]);
    });

    it('refuses a body with GET before sending anything', () => {
      expect(() => connect(`${server.url}/x`, { method: 'get', body: 'x' })).toThrow(
        'SSE client: a request body cannot be sent with GET',
      );
    });
  });

  describe('consuming', () => {
    it('closes the connection when an Observable subscriber unsubscribes', async () => {
      let closed: Promise<void> | undefined;
      server.route('/endless', async (x) => {
        closed = x.closed;
        x.open();
        for (let i = 1; i <= 3; i++) await x.write(`id: ${i}\ndata: ${i}\n\n`);
      });
      const stream = open('/endless');
      const firstTwo = await new Promise((resolve, reject) =>
        from(stream).pipe(take(2), toArray()).subscribe({ next: resolve, error: reject }),
      );
      expect((firstTwo as Array<{ data: string }>).map((m) => m.data)).toEqual(['1', '2']);
      await closed;
      expect(stream.state).toBe('closed');
      expect(stream.lastEventId).toBe('2');
    });

    it('completes the Observable on 204 and errors it on failure', async () => {
      server.route('/done', sendAndEnd('data: a\n\n'), status(204));
      server.route('/fail', status(404, 'no such room'));
      const done = await new Promise((resolve, reject) =>
        open('/done').asObservable().pipe(toArray()).subscribe({ next: resolve, error: reject }),
      );
      const failure = await new Promise((resolve) =>
        open('/fail').asObservable().subscribe({ error: resolve }),
      );
      expect((done as Array<{ data: string }>).map((m) => m.data)).toEqual(['a']);
      expect(failure).toBeInstanceOf(SseHttpError);
      expect((failure as SseHttpError).status).toBe(404);
    });

    it('ends a for-await loop when close() is called, and aborts the request', async () => {
      let closed: Promise<void> | undefined;
      server.route('/close', async (x) => {
        closed = x.closed;
        x.open();
        await x.write('data: first\n\n');
      });
      const stream = open('/close');
      const seen: string[] = [];
      for await (const message of stream) {
        seen.push(message.data);
        setTimeout(() => stream.close(), 0);
      }
      await closed;
      expect(seen).toEqual(['first']);
      expect(stream.state).toBe('closed');
    });

    it('closes when its AbortSignal aborts', async () => {
      let closed: Promise<void> | undefined;
      server.route('/signal', async (x) => {
        closed = x.closed;
        x.open();
        await x.write('data: hi\n\n');
      });
      const controller = new AbortController();
      const recorded = record(open('/signal', { signal: controller.signal }));
      await recorded.waitFor((m) => m.data === 'hi');
      controller.abort();
      expect(await recorded.waitForEnd()).toHaveLength(1);
      await closed;
    });

    it('refuses a second consumer instead of splitting the messages between two', () => {
      server.route('/one', status(204));
      const stream = open('/one');
      stream[Symbol.asyncIterator]();
      expect(() => stream.json()[Symbol.asyncIterator]()).toThrow(/already has a consumer/);
    });

    it('stops reading while the consumer is behind, so the server feels backpressure', async () => {
      const event = `data: ${'x'.repeat(64 * 1024)}\n\n`;
      let written = 0;
      let stalledAt: number | undefined;
      let stalled: () => void = () => undefined;
      const serverStalled = new Promise<void>((resolve) => (stalled = resolve));
      server.route('/flood', async (x) => {
        x.open();
        // Writes until the socket stops draining (a client reading without bound never lets it
        // stop), then at the pace the client reads.
        while (!x.response.destroyed && written < 256 * 1024 * 1024) {
          written += event.length;
          if (x.response.write(event)) continue;
          // Only a wait can show that a drain does not come.
          const drained = await drainOf(x.response, stalledAt === undefined ? 500 : undefined);
          if (!drained && stalledAt === undefined) {
            stalledAt = written;
            stalled();
          }
        }
        stalled();
      });
      // The pause outlasts the watchdog, which must not take it for a dead server.
      const stream = open('/flood', { bufferSize: 4, heartbeatTimeoutMs: 250 });
      await stream.opened();
      await serverStalled;
      // What the server got rid of sits in kernel and fetch buffers, plus the client's four.
      expect(stalledAt).toBeLessThan(64 * 1024 * 1024);
      let read = 0;
      for await (const message of stream) {
        expect(message.data).toHaveLength(64 * 1024);
        if (++read === 100) break;
      }
      expect(read).toBe(100);
      expect(server.requestsTo('/flood')).toHaveLength(1);
    });

    it('leaves no timer behind once closed', async () => {
      server.route('/timers', async (x) => {
        x.open();
        await x.write('data: x\n\n');
      });
      // Counts only the client's own timers: other ref'd timers in this process (sockets,
      // fetch's keep-alive) come and go on their own and made a process-wide count flaky.
      const probe = trackLibraryTimers();
      try {
        const recorded = record(open('/timers', { heartbeatTimeoutMs: 10_000 }));
        await recorded.waitFor(() => true);
        expect(probe.live()['lib/client/watchdog.ts']).toBe(1);
        recorded.close();
        await recorded.waitForEnd();
        // async_hooks reports a cleared timer's destroy a little later, not inside clearTimeout.
        await waitUntil(
          () => probe.count() === 0,
          () => `timers still scheduled: ${JSON.stringify(probe.live())}`,
        );
      } finally {
        probe.stop();
      }
    });
  });
});

/** True when `response` drains, false when it closes or `timeoutMs` passes first. */
function drainOf(response: ServerResponse, timeoutMs?: number): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = (drained: boolean): void => {
      clearTimeout(timer);
      response.off('drain', onDrain).off('close', onClose);
      resolve(drained);
    };
    const onDrain = (): void => settle(true);
    const onClose = (): void => settle(false);
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => settle(false), timeoutMs);
    response.once('drain', onDrain).once('close', onClose);
  });
}

/** A port nothing listens on: bound, then released. */
async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
