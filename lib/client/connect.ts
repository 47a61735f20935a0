import { SseClientMessages } from './client.messages.js';
import type { SseEventMap } from '../protocol/event-contract.js';
import type {
  SseClientOptions,
  SseTypedClientOptions,
} from './interfaces/sse-client-options.interface.js';
import type { SseEventStream, SseStream } from './interfaces/sse-stream.interface.js';
import { ReconnectingStream } from './reconnecting-stream.js';
import { resolveClientOptions } from './resolve-client-options.js';
import { decodeEvents, decodeText, DecodedStream, type EventDecodings } from './decoded-stream.js';

/**
 * Opens a stream typed by an event map, usually a server contract's
 * (`SseEventsOf<typeof ChatEvents>`, imported with `import type`, so no server code reaches the
 * browser): it yields a union of messages discriminated by `event`, decoding each event's data
 * as `options.events` says (`'json'`, or `'text'` for a string payload; TypeScript requires the
 * right one for every event), and skips events the map does not name.
 *
 * @example
 * // ChatEvents: the server's contract, imported with `import type` (erased: no server code loads)
 * const stream = connect<SseEventsOf<typeof ChatEvents>>('/chat/rooms/42', {
 *   events: { message: 'json', typing: 'json' },
 * });
 * for await (const m of stream) {
 *   if (m.event === 'message') render(m.data.text); // m.data: the message payload's JSON
 * }
 */
export function connect<E extends SseEventMap>(
  url: string | URL,
  options: SseTypedClientOptions<E>,
): SseEventStream<E>;
/**
 * Opens a Server-Sent Events stream with `fetch`, in Node 20+ or a browser.
 *
 * Unlike `EventSource` it can send any method, headers and body, and it keeps the stream alive:
 * after a network error, a clean end of the response or a silence longer than
 * `heartbeatTimeoutMs`, it reconnects after the server's `retry` (or `retryMs`, growing with
 * `backoff`), sending `Last-Event-ID`, and drops events the server replays. HTTP 204 ends the
 * stream; another status or content type, on the first connection or a reconnect, fails it
 * with `SseHttpError`.
 *
 * The request starts at once. Messages wait in a bounded buffer (`bufferSize`) until consumed.
 * Invalid options throw here, synchronously.
 *
 * @example
 * const stream = connect('https://api.example.com/events/rooms/42', {
 *   headers: async () => ({ authorization: `Bearer ${await getToken()}` }),
 * });
 * for await (const message of stream.json<{ text: string }>()) {
 *   console.log(message.event, message.id, message.data.text);
 * }
 */
export function connect(url: string | URL, options?: SseClientOptions): SseStream<string>;
export function connect(
  url: string | URL,
  options: SseClientOptions & { readonly events?: unknown } = {},
): SseStream<string> | SseEventStream<SseEventMap> {
  const resolved = resolveClientOptions(options);
  const decodings = options.events === undefined ? undefined : checkedDecodings(options.events);
  const href = String(url);
  checkUrl(href);
  const source = new ReconnectingStream(href, resolved);
  if (decodings)
    return new DecodedStream(source, decodeEvents(decodings)) as SseEventStream<SseEventMap>;
  return new DecodedStream(source, decodeText);
}

/** `events` is checked at once, as every option is: `{ name: 'json' | 'text' }`. */
function checkedDecodings(events: unknown): EventDecodings {
  if (events === null || typeof events !== 'object' || Array.isArray(events))
    throw new TypeError(SseClientMessages.eventsOption(events));
  for (const [name, decoding] of Object.entries(events)) {
    if (decoding !== 'json' && decoding !== 'text')
      throw new TypeError(SseClientMessages.eventDecoding(name, decoding));
  }
  return { ...(events as EventDecodings) };
}

/** Fails now on a URL fetch could never load, instead of reconnecting to it forever. */
function checkUrl(url: string): void {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    new URL(url, base);
  } catch {
    throw new TypeError(SseClientMessages.invalidUrl(url));
  }
}
