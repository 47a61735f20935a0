import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import {
  LIBRARY_EVENTS,
  type SseResetReason,
  type SseStreamErrorData,
} from '../protocol/library-events.js';
import { isAscii } from '../protocol/ascii.js';
import { reconnectDelay } from './backoff.js';
import { httpError, isEventStream } from './check-response.js';
import { PARSE_ERROR_DATA_LIMIT } from './client.constants.js';
import { SseClientMessages } from './client.messages.js';
import { SseConnectionError } from './errors/sse-connection.error.js';
import { SseHttpError } from './errors/sse-http.error.js';
import { SseParseError } from './errors/sse-parse.error.js';
import { SseStreamError } from './errors/sse-stream.error.js';
import type { SseRequestBody } from './interfaces/sse-client-options.interface.js';
import type { SseMessage, SseReset, SseStreamState } from './interfaces/sse-message.interface.js';
import { MessageQueue } from './message-queue.js';
import { onPageHide } from './page-lifecycle.js';
import { RecentIds } from './recent-ids.js';
import type { ResolvedClientOptions } from './resolve-client-options.js';
import { Watchdog } from './watchdog.js';

const CR = 13;

/** How one connection ended when it did not throw. */
type Outcome = 'ended' | 'no-content';

/** A failure of the application's `headers` or `body` callback: it ends the stream as it is. */
class CallbackFailure {
  constructor(readonly error: unknown) {}
}

/** A reset waiting in the queue among messages, for `onReset` when the consumer reaches it. */
export class ResetNotice {
  constructor(readonly reset: SseReset) {}
}

/** What the queue holds: messages, and resets in their place between them. */
type QueuedItem = SseMessage<string> | ResetNotice;

const RESET_REASONS: ReadonlySet<string> = new Set<SseResetReason>([
  'unknown-id',
  'evicted',
  'unavailable',
]);

/**
 * One logical stream over any number of HTTP connections: connects, reads, reconnects with
 * `Last-Event-ID`, and feeds a bounded queue that the public `SseStream` views consume.
 *
 * All state is per instance; one `run()` loop owns the connections, so there is never more than
 * one request in flight for a stream.
 */
export class ReconnectingStream {
  state: SseStreamState = 'connecting';
  /** Id of the last message handed to the consumer (what a new stream should resume from). */
  deliveredId: string | undefined;
  readonly queue: MessageQueue<QueuedItem>;

  private claimed = false;
  private finished = false;
  private finalError: unknown;
  /** Last id received from the server: the `Last-Event-ID` of the next connection. */
  private receivedId: string | undefined;
  private serverRetryMs: number | undefined;
  /** The `sse:error` of the current connection, if its server sent one before ending it. */
  private streamFailure: SseStreamError | undefined;
  /** Connections opened so far; numbers the connections for the replay check. */
  private connections = 0;
  private readonly recentIds: RecentIds | undefined;
  private attempt: AbortController | undefined;
  private delay: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | undefined;
  private readonly openWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> =
    [];
  private readonly detachers: Array<() => void> = [];

  constructor(
    readonly url: string,
    private readonly options: ResolvedClientOptions,
  ) {
    this.receivedId = options.lastEventId;
    this.queue = new MessageQueue(options.bufferSize, options.maxEventSize, dataLength);
    this.recentIds = options.dedupeWindow > 0 ? new RecentIds(options.dedupeWindow) : undefined;
    if (options.signal) {
      if (options.signal.aborted) {
        this.close();
        return;
      }
      const signal = options.signal;
      const onAbort = (): void => this.close();
      signal.addEventListener('abort', onAbort, { once: true });
      this.detachers.push(() => signal.removeEventListener('abort', onAbort));
    }
    if (options.closeOnPageHide) {
      const detach = onPageHide(() => this.close());
      if (detach) this.detachers.push(detach);
    }
    void this.run();
  }

  /** Marks the stream as consumed; a second consumer would silently steal half the messages. */
  claim(): void {
    if (this.claimed) throw new TypeError(SseClientMessages.alreadyConsumed());
    this.claimed = true;
  }

  opened(): Promise<void> {
    if (this.state === 'open') return Promise.resolve();
    if (this.finished) return Promise.reject(this.notOpenError());
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  /**
   * The consumer reached a reset: the stream resumes from its new id, and `onReset` is called
   * (and awaited); what it throws fails the stream, as a consumer's own error would.
   */
  async reset(reset: SseReset): Promise<void> {
    if (reset.lastEventId !== undefined) this.deliveredId = reset.lastEventId;
    try {
      await this.options.onReset?.(reset);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Ends the stream at the consumer's request: nothing more is delivered. */
  close(): void {
    if (this.finished) return;
    this.queue.clear();
    this.finish(undefined);
  }

  private async run(): Promise<void> {
    let failuresInARow = 0;
    try {
      while (!this.finished) {
        const openedBefore = this.connections;
        let outcome: Outcome | undefined;
        let failure: unknown;
        try {
          outcome = await this.connectOnce();
          failure = this.takeStreamFailure();
          if (failure instanceof SseStreamError && !failure.retryable) return this.finish(failure);
        } catch (error) {
          if (this.finished) return;
          if (error instanceof CallbackFailure) return this.finish(error.error);
          if (error instanceof SseHttpError || error instanceof SseParseError) {
            return this.finish(error);
          }
          failure = this.takeStreamFailure() ?? error;
        }
        if (this.finished) return;
        if (outcome === 'no-content') return this.finish(undefined);
        // A stream that failed after opening counts as a failed attempt, so its reconnects back
        // off instead of rerunning a failing handler every `retry`.
        const openedAndWorked = this.connections > openedBefore && failure === undefined;
        failuresInARow = openedAndWorked ? 1 : failuresInARow + 1;
        if (failuresInARow > this.options.maxRetries) {
          if (failure === undefined) return this.finish(undefined);
          return this.finish(
            new SseConnectionError(
              SseClientMessages.gaveUp(this.options.method, this.url, failuresInARow, failure),
              this.url,
              failuresInARow,
              { cause: failure },
            ),
          );
        }
        this.setState('connecting', failure);
        const baseMs = this.serverRetryMs ?? this.options.retryMs;
        await this.sleep(reconnectDelay(baseMs, failuresInARow, this.options.backoff));
      }
    } catch (error) {
      // Nothing above should throw; if something does, the stream must end rather than hang.
      this.finish(error);
    }
  }

  private async connectOnce(): Promise<Outcome> {
    const { method } = this.options;
    const init = await this.requestInit();
    if (this.finished) return 'ended';
    const attempt = new AbortController();
    this.attempt = attempt;
    const watchdog = new Watchdog(this.options.heartbeatTimeoutMs, () => attempt.abort());
    init.signal = attempt.signal;
    watchdog.start();
    try {
      const response = await this.options.fetch(this.url, init);
      watchdog.touch();
      if (response.status === 204) {
        response.body?.cancel().catch(() => undefined);
        return 'no-content';
      }
      if (response.status !== 200 || !isEventStream(response.headers.get('content-type'))) {
        throw await httpError(method, this.url, response);
      }
      if (!response.body) {
        throw new SseHttpError(
          SseClientMessages.noBody(method, this.url),
          this.url,
          response.status,
          response.statusText,
          response.headers.get('content-type') ?? undefined,
          '',
        );
      }
      this.connections++;
      this.setState('open');
      for (const waiter of this.openWaiters.splice(0)) waiter.resolve();
      await this.read(response.body, watchdog, this.connections);
      return 'ended';
    } catch (error) {
      if (watchdog.fired) {
        throw new Error(SseClientMessages.silent(this.options.heartbeatTimeoutMs), {
          cause: error,
        });
      }
      throw error;
    } finally {
      watchdog.stop();
      // Frees the socket when reading stopped early (parse failure, close); a no-op otherwise.
      attempt.abort();
      this.attempt = undefined;
    }
  }

  private async requestInit(): Promise<RequestInit> {
    const { method, credentials } = this.options;
    let headers: Headers;
    let body: SseRequestBody | undefined;
    try {
      const given = this.options.headers;
      const value = typeof given === 'function' ? await given() : given;
      headers = new Headers(value as ConstructorParameters<typeof Headers>[0]);
      const bodyOption = this.options.body;
      body = typeof bodyOption === 'function' ? await bodyOption() : bodyOption;
    } catch (error) {
      throw new CallbackFailure(error);
    }
    headers.set('accept', 'text/event-stream');
    // An empty id means "no id" (WHATWG HTML 9.2.4): the header is left out.
    if (this.receivedId) headers.set('last-event-id', headerValue(this.receivedId));
    // `no-store` rather than a Cache-Control header, which would cost a CORS preflight. (Node's
    // RequestInit type lacks `cache`, though its fetch accepts it; browsers honour it.)
    const init: RequestInit & { cache?: 'no-store' } = { method, headers, cache: 'no-store' };
    if (body !== undefined) init.body = body;
    if (credentials !== undefined) init.credentials = credentials;
    return init;
  }

  private async read(
    body: ReadableStream<Uint8Array>,
    watchdog: Watchdog,
    connection: number,
  ): Promise<void> {
    const reader = body.getReader();
    // Per connection: a multi-byte character or an event cut by a lost connection must not be
    // completed by the bytes of the next one.
    const decoder = new TextDecoder();
    const maxEventSize = this.options.maxEventSize;
    let tooLarge: SseParseError | undefined;
    const fail = (event: EventSourceMessage | undefined, cause?: ParseError): void => {
      tooLarge ??= new SseParseError(
        SseClientMessages.eventTooLarge(this.options.method, this.url, maxEventSize),
        this.url,
        'event-too-large',
        event?.event ?? (event ? 'message' : undefined),
        event?.id,
        event?.data.slice(0, PARSE_ERROR_DATA_LIMIT) ?? '',
        { cause },
      );
    };
    const parser = createParser({
      onEvent: (event) => {
        if (tooLarge) return;
        // The parser bounds what it buffers across chunks; an event that arrives whole in one
        // chunk never is buffered, so its size is checked here.
        if (event.data.length > maxEventSize) return fail(event);
        this.receive(event, connection);
      },
      onRetry: (retryMs) => {
        this.serverRetryMs = retryMs;
      },
      // Unknown fields and malformed retry values are ignored, as the standard requires.
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') fail(undefined, error);
      },
      maxBufferSize: maxEventSize,
    });
    // A CR at the very end of a chunk may be the first half of a CRLF, so the parser holds it
    // back; at the end of the stream it can only be a line break.
    let endsWithCr = false;
    try {
      for (;;) {
        if (this.queue.isFull) {
          // The consumer is behind: stop reading, so TCP slows the server down.
          watchdog.stop();
          await this.queue.whenNotFull();
          if (this.finished) return;
          watchdog.start();
        }
        const { done, value } = await reader.read();
        if (done) {
          const rest = decoder.decode();
          parser.feed(rest === '' && endsWithCr ? '\n' : rest.endsWith('\r') ? `${rest}\n` : rest);
          return;
        }
        watchdog.touch();
        const text = decoder.decode(value, { stream: true });
        if (text === '') continue;
        endsWithCr = text.charCodeAt(text.length - 1) === CR;
        parser.feed(text);
        if (tooLarge) throw tooLarge;
      }
    } finally {
      reader.cancel().catch(() => undefined);
    }
  }

  private receive(event: EventSourceMessage, connection: number): void {
    const id = event.id;
    if (id !== undefined) this.receivedId = id;
    switch (event.event) {
      case LIBRARY_EVENTS.position:
        return;
      case LIBRARY_EVENTS.reset:
        return this.queue.push(
          new ResetNotice({ reason: resetReason(event.data), lastEventId: id }),
        );
      case LIBRARY_EVENTS.error:
        this.streamFailure = this.streamError(event.data);
        return;
    }
    if (id !== undefined && id !== '' && this.recentIds?.isReplay(id, connection)) return;
    this.queue.push({
      data: event.data,
      event: event.event ?? 'message',
      id,
      retry: this.serverRetryMs,
    });
  }

  /** The `sse:error` of the connection that just ended, if any; forgotten once taken. */
  private takeStreamFailure(): SseStreamError | undefined {
    const failure = this.streamFailure;
    this.streamFailure = undefined;
    return failure;
  }

  private streamError(data: string): SseStreamError {
    const parsed = parseObject(data) as Partial<SseStreamErrorData>;
    const status = typeof parsed.status === 'number' ? parsed.status : 500;
    const message = typeof parsed.message === 'string' ? parsed.message : '';
    const retryable = typeof parsed.retryable === 'boolean' ? parsed.retryable : status >= 500;
    return new SseStreamError(
      SseClientMessages.streamFailed(this.options.method, this.url, status, message),
      this.url,
      status,
      retryable,
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.delay = undefined;
        resolve();
      }, ms);
      this.delay = { timer, resolve };
    });
  }

  private setState(state: SseStreamState, error?: unknown): void {
    if (this.state === state) return;
    this.state = state;
    const listener = this.options.onStateChange;
    if (!listener) return;
    try {
      listener(state, error);
    } catch (listenerError) {
      // As with an event listener: reported, and no business of the stream's.
      queueMicrotask(() => {
        throw listenerError;
      });
    }
  }

  /** The one way a stream ends; `error` undefined means it ended normally. */
  private finish(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.finalError = error;
    this.attempt?.abort();
    if (this.delay) {
      clearTimeout(this.delay.timer);
      this.delay.resolve();
      this.delay = undefined;
    }
    for (const detach of this.detachers.splice(0)) detach();
    this.queue.end(error === undefined ? undefined : { error });
    for (const waiter of this.openWaiters.splice(0)) waiter.reject(this.notOpenError());
    this.setState('closed', error);
  }

  private notOpenError(): unknown {
    return (
      this.finalError ??
      new SseConnectionError(
        SseClientMessages.closedBeforeOpen(this.options.method, this.url),
        this.url,
        0,
      )
    );
  }
}

/**
 * An id as a header value. Headers carry bytes, and `Headers` refuses characters above U+00FF,
 * so a non-ASCII id goes out as its UTF-8 bytes, which is what `EventSource` sends; the
 * parser has already dropped ids with CR, LF or NUL.
 */
function headerValue(id: string): string {
  if (isAscii(id)) return id;
  let bytes = '';
  for (const byte of new TextEncoder().encode(id)) bytes += String.fromCharCode(byte);
  return bytes;
}

/** Weight of a message in the queue bound: its data, which dominates its size. */
function dataLength(item: QueuedItem): number {
  return item instanceof ResetNotice ? 0 : item.data.length;
}

/** The JSON object a library event carries, or an empty one if it carries something else. */
function parseObject(data: string): object {
  try {
    const parsed: unknown = JSON.parse(data);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

function resetReason(data: string): SseResetReason {
  const { reason } = parseObject(data) as { reason?: unknown };
  return typeof reason === 'string' && RESET_REASONS.has(reason)
    ? (reason as SseResetReason)
    : 'unknown-id';
}
