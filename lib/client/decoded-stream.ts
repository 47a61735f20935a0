import { Observable, observable } from 'rxjs';
import { PARSE_ERROR_DATA_LIMIT } from './client.constants.js';
import { SseClientMessages } from './client.messages.js';
import { SseParseError } from './errors/sse-parse.error.js';
import type { SseMessage, SseStreamState } from './interfaces/sse-message.interface.js';
import type { SseStream, SseStreamOf } from './interfaces/sse-stream.interface.js';
import { ResetNotice, type ReconnectingStream } from './reconnecting-stream.js';

/** Turns a received message into what the consumer gets; undefined skips it. */
type Decode<M> = (message: SseMessage<string>, url: string) => M | undefined;

/** How a typed stream decodes an event, by its name. */
export type EventDecodings = Readonly<Record<string, 'json' | 'text'>>;

/**
 * A typed view of a {@link ReconnectingStream}. `json()` makes another view of the same
 * connection, so choosing how to decode costs no second request.
 */
export class DecodedStream<M extends SseMessage<unknown>> implements SseStreamOf<M> {
  constructor(
    private readonly source: ReconnectingStream,
    private readonly decode: Decode<M>,
  ) {}

  get url(): string {
    return this.source.url;
  }

  get state(): SseStreamState {
    return this.source.state;
  }

  get lastEventId(): string | undefined {
    return this.source.deliveredId;
  }

  json<U = unknown>(): SseStream<U> {
    return new DecodedStream<SseMessage<U>>(this.source, decodeJson as Decode<SseMessage<U>>);
  }

  opened(): Promise<void> {
    return this.source.opened();
  }

  close(): void {
    this.source.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<M> {
    const source = this.source;
    source.claim();
    return {
      next: async () => {
        for (;;) {
          const result = await source.queue.take();
          if (result.done) return result;
          // A reset is the consumer's to handle in its place among the messages, not a message.
          if (result.value instanceof ResetNotice) {
            await source.reset(result.value.reset);
            continue;
          }
          const received = result.value as SseMessage<string>;
          let message: M | undefined;
          try {
            message = this.decode(received, source.url);
          } catch (error) {
            source.close();
            throw error;
          }
          // A skipped event counts as consumed: a new stream resumes after it, not before.
          if (received.id !== undefined) source.deliveredId = received.id;
          if (message !== undefined) return { done: false, value: message };
        }
      },
      return: () => {
        source.close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  asObservable(): Observable<M> {
    return new Observable<M>((subscriber) => {
      const iterator = this[Symbol.asyncIterator]();
      const pump = async (): Promise<void> => {
        for (;;) {
          const result = await iterator.next();
          if (subscriber.closed) return;
          if (result.done) return subscriber.complete();
          subscriber.next(result.value);
        }
      };
      pump().catch((error: unknown) => subscriber.error(error));
      return () => void iterator.return?.();
    });
  }
}

// rxjs's `from()` and other interop-aware libraries look for this method before treating the
// stream as an async iterable; through it, unsubscribing closes the connection at once
// instead of after the next message.
Object.defineProperty(DecodedStream.prototype, observable, {
  value(this: DecodedStream<SseMessage<unknown>>) {
    return this.asObservable();
  },
});

/** Leaves the message as it came. */
export const decodeText: Decode<SseMessage<string>> = (message) => message;

/**
 * Decodes each event as `decodings` says for its name, and skips events it does not name, as
 * `EventSource` does events without a listener.
 */
export function decodeEvents(decodings: EventDecodings): Decode<SseMessage<unknown>> {
  return (message, url) => {
    if (!Object.prototype.hasOwnProperty.call(decodings, message.event)) return undefined;
    return decodings[message.event] === 'text' ? message : decodeJson(message, url);
  };
}

function decodeJson(message: SseMessage<string>, url: string): SseMessage<unknown> {
  try {
    return { ...message, data: JSON.parse(message.data) as unknown };
  } catch (error) {
    const data = message.data.slice(0, PARSE_ERROR_DATA_LIMIT);
    throw new SseParseError(
      SseClientMessages.invalidJson(url, message.event, message.id, data, (error as Error).message),
      url,
      'invalid-json',
      message.event,
      message.id,
      data,
      { cause: error },
    );
  }
}
