import { HttpException, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Subscription, type Observable } from 'rxjs';
import type { SseAdmission } from '../channel/sse-admission.js';
import type { SseRoute } from '../channel/sse-route.js';
import { InjectSseOptions } from '../decorators/inject-sse-options.decorator.js';
import type { HttpExchange } from '../http/http-exchange.js';
import type { SseRequest } from '../interfaces/sse-channel-options.interface.js';
import type { ResolvedSseOptions } from '../options/sse-module-options.js';
import { SseMessages } from '../sse.messages.js';
import { encodeEvent, encodeRetry } from '../wire/event-encoder.js';
import { toSseEvent } from '../wire/to-sse-event.js';
import { ChannelHub } from './channel-hub.js';
import { ConnectionPool } from './connection-pool.js';
import { handlerSource } from './handler-source.js';
import { SseConnection } from './sse-connection.js';

/** Bound on bytes waiting for a client before it is dropped as a slow consumer. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const SSE_HEADERS: OutgoingHttpHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  // no-transform: compression middleware and proxies must pass events through unbuffered.
  'cache-control': 'no-cache, no-transform',
  // nginx buffers proxied responses unless told not to.
  'x-accel-buffering': 'no',
};
// Set by the framework or middleware for ordinary responses; wrong for an endless stream.
const DROPPED_HEADERS = ['content-length', 'content-encoding', 'etag', 'last-modified'];

const INTERNAL_ERROR = 'Internal server error';

/**
 * Turns an admitted request into an open stream: headers, preamble, channel membership, the
 * handler's own events, and one teardown path however the stream ends.
 */
@Injectable()
export class SseStreamService {
  private readonly logger = new Logger('SseModule');
  /** Prefix of this process's connection ids, so ids are unique across instances. */
  private readonly instanceId = randomBytes(4).toString('hex');
  private sequence = 0;
  private readonly preamble: Buffer;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly hub: ChannelHub,
    @InjectSseOptions() options: ResolvedSseOptions,
  ) {
    this.preamble = encodeRetry(options.retryMs);
  }

  admit(route: SseRoute, exchange: HttpExchange): SseAdmission {
    const channels = route.channelsFor(exchange.request as SseRequest);
    let state: 'pending' | 'opened' | 'abandoned' = 'pending';
    let abort: AbortController | undefined;
    return {
      route,
      exchange,
      channels,
      // Created only for handlers that ask for it (@SseAbortSignal()).
      get signal(): AbortSignal {
        return (abort ??= abortOnClose(exchange.rawResponse)).signal;
      },
      open: (result) => {
        if (state !== 'pending') return;
        state = 'opened';
        this.open(route, exchange, channels, result);
      },
      abandon: () => {
        if (state === 'pending') state = 'abandoned';
      },
    };
  }

  private open(
    route: SseRoute,
    exchange: HttpExchange,
    channels: readonly string[],
    result: unknown,
  ): void {
    const source = handlerSource(result, route.name);
    const { rawRequest, rawResponse } = exchange;
    // The client may have left while an async handler was running.
    if (rawResponse.destroyed || rawResponse.writableEnded) return;
    const headers = this.headersFor(exchange);
    if (rawRequest.method === 'HEAD') {
      rawResponse.writeHead(200, headers).end();
      return;
    }
    const connection = new SseConnection({
      id: `${this.instanceId}-${(++this.sequence).toString(36)}`,
      channels,
      remoteAddress: exchange.request.ip ?? rawRequest.socket.remoteAddress,
      userAgent: rawRequest.headers['user-agent'],
      response: rawResponse,
      maxBufferedBytes: MAX_BUFFERED_BYTES,
    });
    this.pool.add(connection);
    connection.open(headers, this.preamble);
    for (const channel of channels) this.hub.join(channel, connection);
    if (source) this.pipeHandlerEvents(connection, source);
  }

  private headersFor(exchange: HttpExchange): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = { ...exchange.takeOver(), ...SSE_HEADERS };
    for (const name of DROPPED_HEADERS) {
      delete headers[name];
      exchange.rawResponse.removeHeader(name);
    }
    // HTTP/2 forbids connection-specific headers.
    if (exchange.rawRequest.httpVersionMajor === 1) headers.connection = 'keep-alive';
    return headers;
  }

  private pipeHandlerEvents(connection: SseConnection, source: Observable<unknown>): void {
    // Created first so teardown can reach it even if the source ends while being subscribed;
    // adding to an already-closed Subscription unsubscribes at once.
    const subscription = new Subscription();
    connection.onTeardown(() => subscription.unsubscribe());
    const fail = (error: unknown, message: string): void => {
      this.logger.error(message, error instanceof Error ? error.stack : String(error));
      connection.end('error', errorFrame(error));
    };
    subscription.add(
      source.subscribe({
        next: (value) => {
          if (value === undefined) return;
          let frame: Buffer;
          try {
            frame = encodeEvent(toSseEvent(value));
          } catch (error) {
            return fail(error, SseMessages.encodeFailedForConnection(connection.id));
          }
          connection.write(frame, Date.now());
        },
        error: (error: unknown) =>
          fail(error, SseMessages.streamFailed(connection.id, connection.channels)),
        complete: () => connection.end('complete'),
      }),
    );
  }
}

/** An AbortController aborted once the response is over, whichever side ended it. */
function abortOnClose(response: ServerResponse): AbortController {
  const controller = new AbortController();
  if (response.closed) controller.abort();
  else response.once('close', () => controller.abort());
  return controller;
}

/** The `event: error` frame a client gets when its stream fails: a message, never a stack. */
function errorFrame(error: unknown): Buffer {
  const message = error instanceof HttpException ? error.message : INTERNAL_ERROR;
  return encodeEvent({ event: 'error', data: { message } });
}
