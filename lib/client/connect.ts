import { SseClientMessages } from './client.messages.js';
import type { SseClientOptions } from './interfaces/sse-client-options.interface.js';
import type { SseStream } from './interfaces/sse-stream.interface.js';
import { ReconnectingStream } from './reconnecting-stream.js';
import { resolveClientOptions } from './resolve-client-options.js';
import { decodeText, DecodedStream } from './decoded-stream.js';

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
export function connect(url: string | URL, options: SseClientOptions = {}): SseStream<string> {
  const resolved = resolveClientOptions(options);
  const href = String(url);
  checkUrl(href);
  return new DecodedStream(new ReconnectingStream(href, resolved), decodeText);
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
