import { isObservable, Observable } from 'rxjs';
import { SseMessages } from '../sse.messages.js';

/**
 * What a handler returned, as an Observable of values to send, or undefined when it returned
 * nothing (the stream then carries only channel events). Throws for anything else, before the
 * stream opens, so the client gets a 500 rather than a stream that never says why it is empty.
 * `resolved`: `result` is what the handler's Promise resolved to, which the message then says.
 */
export function handlerSource(
  result: unknown,
  route: string,
  resolved: boolean,
): Observable<unknown> | undefined {
  if (result === undefined || result === null) return undefined;
  if (isObservable(result)) return result;
  if (isAsyncIterable(result)) return fromAsyncIterable(result);
  throw new TypeError(
    resolved
      ? SseMessages.handlerResolvedUnsupported(route, result)
      : SseMessages.handlerReturnedUnsupported(route, result),
  );
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/**
 * Like rxjs `from()`, but a disconnect calls the iterator's `return()` at once, so an async
 * generator runs its `finally` blocks when the client leaves rather than on its next value.
 */
function fromAsyncIterable(iterable: AsyncIterable<unknown>): Observable<unknown> {
  return new Observable((subscriber) => {
    const iterator = iterable[Symbol.asyncIterator]();
    const pull = (): void => {
      iterator.next().then(
        (step) => {
          if (subscriber.closed) return;
          if (step.done) return subscriber.complete();
          subscriber.next(step.value);
          pull();
        },
        (error: unknown) => subscriber.error(error),
      );
    };
    pull();
    return () => {
      void iterator.return?.().catch(() => undefined);
    };
  });
}
