import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface RawStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Every byte of the body received so far. */
  readonly raw: () => string;
  /**
   * Events parsed by eventsource-parser from the bytes received so far, except the library's
   * `sse:position` notices, which only carry the stream's id (see `positions`).
   */
  readonly events: EventSourceMessage[];
  /** The ids of the `sse:position` notices received, in order. */
  readonly positions: string[];
  /** The id a reconnect sends back: that of the last event or notice with one. */
  readonly lastEventId: () => string | undefined;
  /** Arrival time (ms since connect) of each chunk and whether it held only comments. */
  readonly chunks: Array<{ at: number; text: string }>;
  /** Resolves when the server ends the response. */
  readonly ended: Promise<void>;
  readonly response: IncomingMessage;
  /** Waits until `predicate` holds for the events received, or fails after `timeoutMs`. */
  waitFor(
    predicate: (events: EventSourceMessage[]) => boolean,
    timeoutMs?: number,
  ): Promise<EventSourceMessage[]>;
  close(): void;
}

/** Opens a stream over a plain HTTP request and records exactly what arrives. */
export function openRawStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const req = request(
      url,
      { headers: { accept: 'text/event-stream', ...headers } },
      (response) => {
        let raw = '';
        const events: EventSourceMessage[] = [];
        const positions: string[] = [];
        let lastEventId: string | undefined;
        const chunks: Array<{ at: number; text: string }> = [];
        const waiters = new Set<() => void>();
        const parser = createParser({
          onEvent: (event) => {
            if (event.id !== undefined) lastEventId = event.id;
            if (event.event === 'sse:position') positions.push(event.id ?? '');
            else events.push(event);
          },
        });
        response.setEncoding('utf8');
        response.on('data', (text: string) => {
          raw += text;
          chunks.push({ at: Date.now() - started, text });
          parser.feed(text);
          for (const check of waiters) check();
        });
        const ended = new Promise<void>((done) => response.on('close', () => done()));
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          raw: () => raw,
          events,
          positions,
          lastEventId: () => lastEventId,
          chunks,
          ended,
          response,
          waitFor: (predicate, timeoutMs = 5000) =>
            new Promise((done, fail) => {
              const check = () => {
                if (!predicate(events)) return;
                waiters.delete(check);
                clearTimeout(timer);
                done(events);
              };
              const timer = setTimeout(() => {
                waiters.delete(check);
                fail(new Error(`Timed out after ${timeoutMs} ms; received ${JSON.stringify(raw)}`));
              }, timeoutMs);
              waiters.add(check);
              check();
            }),
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Reads a whole (non-stream) response body, e.g. a 401 JSON error. */
export async function readBody(stream: RawStream): Promise<string> {
  await stream.ended;
  return stream.raw();
}

/** Resolves once the stream has opened (the `retry:` preamble arrived). */
export function opened(stream: RawStream): Promise<EventSourceMessage[]> {
  return stream.waitFor(() => stream.raw().includes('retry:'));
}
