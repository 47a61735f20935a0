import { Observable, observable } from 'rxjs';
import { PARSE_ERROR_DATA_LIMIT } from './client.constants.js';
import { SseClientMessages } from './client.messages.js';
import { SseParseError } from './errors/sse-parse.error.js';
import type { SseMessage, SseStreamState } from './interfaces/sse-message.interface.js';
import type { SseStream } from './interfaces/sse-stream.interface.js';
import { ResetNotice, type ReconnectingStream } from './reconnecting-stream.js';

type Decode<T> = (message: SseMessage<string>, url: string) => SseMessage<T>;

/**
 * A typed view of a {@link ReconnectingStream}. `json()` makes another view of the same
 * connection, so choosing how to decode costs no second request.
 */
export class DecodedStream<T> implements SseStream<T> {
  constructor(
    private readonly source: ReconnectingStream,
    private readonly decode: Decode<T>,
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
    return new DecodedStream<U>(this.source, decodeJson as Decode<U>);
  }

  opened(): Promise<void> {
    return this.source.opened();
  }

  close(): void {
    this.source.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<SseMessage<T>> {
    const source = this.source;
    source.claim();
    return {
      next: async () => {
        let result = await source.queue.take();
        // A reset is the consumer's to handle in its place among the messages, not a message.
        while (!result.done && result.value instanceof ResetNotice) {
          await source.reset(result.value.reset);
          result = await source.queue.take();
        }
        if (result.done) return result;
        const received = result.value as SseMessage<string>;
        let message: SseMessage<T>;
        try {
          message = this.decode(received, source.url);
        } catch (error) {
          source.close();
          throw error;
        }
        if (message.id !== undefined) source.deliveredId = message.id;
        return { done: false, value: message };
      },
      return: () => {
        source.close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  asObservable(): Observable<SseMessage<T>> {
    return new Observable<SseMessage<T>>((subscriber) => {
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
  value(this: DecodedStream<unknown>) {
    return this.asObservable();
  },
});

/** Leaves the message as it came. */
export const decodeText: Decode<string> = (message) => message;

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
