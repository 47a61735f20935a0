import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Subscription, type Observable } from 'rxjs';
import type { SseBackend, SseReplayResult } from '../backends/sse-backend.interface.js';
import type { SseAdmission } from '../channel/sse-admission.js';
import type { SseRoute } from '../channel/sse-route.js';
import { SseRouteTable } from '../channel/sse-route-table.js';
import { InjectSseOptions } from '../decorators/inject-sse-options.decorator.js';
import { SseFinishedException } from '../errors/sse-finished.exception.js';
import { toHttpExchange, type HttpExchange } from '../http/http-exchange.js';
import type { SseRequest } from '../interfaces/sse-channel-options.interface.js';
import { SseLifecycle } from '../lifecycle/sse-lifecycle.service.js';
import type { ResolvedSseOptions } from '../options/sse-module-options.js';
import { SSE_BACKEND } from '../sse.constants.js';
import { SseMessages } from '../sse.messages.js';
import { encodeEvent, encodeRetry } from '../wire/event-encoder.js';
import { isResumableId, lastEventIdFromHeader } from '../wire/event-id.js';
import { toSseEvent } from '../wire/to-sse-event.js';
import { ChannelHub } from './channel-hub.js';
import { ConnectionPool } from './connection-pool.js';
import { handlerSource } from './handler-source.js';
import { controlFrame, eventFrame, type OutboundFrame } from './outbound-frame.js';
import { SseConnection, type SseConnectionHost } from './sse-connection.js';
import { SseInstance } from './sse-instance.js';

/**
 * The stream's own headers, a new object per response (Node and middleware may treat it as the
 * response's). `keepAlive` for HTTP/1.1 only: HTTP/2 forbids connection-specific headers, and
 * an HTTP/1.0 stream ends with its connection.
 */
function sseHeaders(keepAlive: boolean): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'content-type': 'text/event-stream; charset=utf-8',
    // no-transform: compression middleware and proxies must pass events through unbuffered.
    'cache-control': 'no-cache, no-transform',
    // nginx buffers proxied responses unless told not to.
    'x-accel-buffering': 'no',
  };
  if (keepAlive) headers.connection = 'keep-alive';
  return headers;
}
// Set by the framework or middleware for ordinary responses; wrong for an endless stream.
const DROPPED_HEADERS = ['content-length', 'content-encoding', 'etag', 'last-modified'];
const INTERNAL_ERROR = 'Internal server error';

/**
 * Turns a request into a stream: admission (limits, finished channels, a reserved connection),
 * then, once the handler has returned, headers, preamble, history replay without gap or
 * duplicate, channel membership and the handler's own events.
 */
@Injectable()
export class SseStreamService {
  private readonly logger = new Logger('SseModule');
  private readonly preamble: OutboundFrame;
  /** Shared by every connection: the bookkeeping done when one retires or closes. */
  private readonly host: SseConnectionHost;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly hub: ChannelHub,
    private readonly lifecycle: SseLifecycle,
    private readonly instance: SseInstance,
    private readonly routes: SseRouteTable,
    @Inject(SSE_BACKEND) private readonly backend: SseBackend,
    @InjectSseOptions() private readonly options: ResolvedSseOptions,
  ) {
    this.preamble = controlFrame(encodeRetry(options.retryMs));
    this.host = {
      instance: instance.id,
      maxBufferedBytes: options.maxBufferedBytes,
      slowConsumer: options.slowConsumer,
      retired: (connection) => {
        pool.retired(connection);
        hub.leave(connection);
      },
      closed: (connection) => pool.closed(connection),
    };
  }

  /**
   * Checks the request may have a stream and reserves its connection. Throws HTTP errors
   * (400/404 channel, 204 finished, 429/503 limits), which Nest answers as usual. `response` is
   * the framework's (Express or Fastify) response of the handler `handler` of `controller`.
   */
  async admit(
    controller: { name: string },
    handler: object,
    response: unknown,
  ): Promise<SseAdmission> {
    const route = this.routes.get(controller, handler);
    if (!route)
      throw new Error(
        SseMessages.routeNotCompiled(
          `${controller.name}.${String((handler as { name?: unknown }).name)}`,
        ),
      );
    const exchange = toHttpExchange(response);
    const request = exchange.request as SseRequest;
    const channels = route.channelsFor(request);
    for (const channel of channels) {
      if (await this.backend.isFinished(channel)) throw new SseFinishedException();
    }
    const userId = this.options.userId(request);
    // Checked and reserved in one synchronous step, so concurrent requests cannot overshoot.
    this.checkLimits(userId);
    const connection = new SseConnection(
      {
        id: this.instance.nextConnectionId(),
        channels,
        userId,
        request: exchange.request,
        userAgent: exchange.rawRequest.headers['user-agent'],
        response: exchange.rawResponse,
      },
      this.host,
    );
    this.pool.add(connection);
    return new Admission(this, route, exchange, connection, lastEventIdOf(exchange));
  }

  /**
   * Starts the stream of an admission with what its handler returned (`SseAdmission.open()`);
   * anything thrown before the stream is open leaves the response to the framework.
   */
  openStream(admission: Admission, result: unknown, resolved: boolean): void {
    const { connection } = admission;
    try {
      // Checked first: a handler returning what cannot be streamed fails (and is logged) even
      // if its client has left meanwhile.
      const source = handlerSource(result, admission.route.name, resolved);
      if (connection.state !== 'connecting') return;
      this.open(admission.route, admission.exchange, connection, admission.lastEventId, source);
    } catch (error) {
      connection.discard();
      throw error;
    }
  }

  private checkLimits(userId: string | undefined): void {
    if (this.lifecycle.isStopping)
      throw new ServiceUnavailableException(SseMessages.shuttingDown());
    const { maxConnections, maxConnectionsPerUser } = this.options;
    if (maxConnections !== undefined && this.pool.activeCount >= maxConnections) {
      throw new ServiceUnavailableException(SseMessages.maxConnectionsReached(maxConnections));
    }
    if (maxConnectionsPerUser !== undefined && userId !== undefined) {
      if ((this.pool.ofUser(userId)?.size ?? 0) >= maxConnectionsPerUser) {
        throw new HttpException(
          SseMessages.maxConnectionsPerUserReached(maxConnectionsPerUser),
          HttpStatus.TOO_MANY_REQUESTS,
        );
      }
    }
  }

  private open(
    route: SseRoute,
    exchange: HttpExchange,
    connection: SseConnection,
    lastEventId: string | undefined,
    source: Observable<unknown> | undefined,
  ): void {
    // The client may have left while an async handler was running.
    if (!connection.isReachable) return connection.discard();
    const headers = this.headersFor(exchange);
    const head = exchange.rawRequest.method === 'HEAD';
    try {
      if (head) exchange.rawResponse.writeHead(200, headers).end();
      else connection.open(headers, this.preamble);
    } catch (error) {
      // Node refused a header (ERR_INVALID_CHAR): the framework still owns the response and
      // answers with an error, which must not carry the header again.
      exchange.dropUnsendableHeaders();
      throw error;
    }
    exchange.takeOver();
    if (head) return connection.discard();
    this.pool.opened(connection);
    // A `connected` listener may have ended the stream already: retired, it must not join a
    // channel (it would never leave again), read history or start the handler's stream.
    if (connection.state !== 'open') return;
    const replayLast =
      lastEventId === undefined ? (route.replayOnConnect ?? this.options.replayOnConnect) : 0;
    // Without channels there is no history: a Last-Event-ID only matters to the handler.
    const nothingToReplay =
      connection.channels.length === 0 || (lastEventId === undefined && replayLast === 0);
    if (nothingToReplay) return this.goLive(connection, source);
    // Live events published while history is read wait, then those already replayed are skipped.
    connection.holdLive();
    this.hub.join(connection);
    this.backend
      .replay({ channels: connection.channels, lastEventId, last: replayLast })
      .catch((error: unknown): SseReplayResult => {
        this.logger.warn(
          SseMessages.replayFailed(connection.id),
          error instanceof Error ? error.stack : String(error),
        );
        return { kind: 'reset', reason: 'unavailable' };
      })
      .then((replay) => {
        if (connection.state !== 'open') return;
        if (replay.kind === 'reset') {
          const reset = encodeEvent({ event: 'reset', data: { reason: replay.reason } });
          connection.resumeLive([eventFrame(reset)], undefined);
        } else {
          connection.resumeLive(replay.frames, replay.after);
        }
        if (source) this.pipeHandlerEvents(connection, source);
      });
  }

  private goLive(connection: SseConnection, source: Observable<unknown> | undefined): void {
    this.hub.join(connection);
    if (source) this.pipeHandlerEvents(connection, source);
  }

  private headersFor(exchange: HttpExchange): OutgoingHttpHeaders {
    const own = sseHeaders(exchange.rawRequest.httpVersion === '1.1');
    const response = exchange.rawResponse;
    // Checked first: removing a header that is not there still costs Node a property delete.
    for (const name of DROPPED_HEADERS) if (response.hasHeader(name)) response.removeHeader(name);
    const held = exchange.heldHeaders();
    if (held === undefined || Object.keys(held).length === 0) return own;
    const headers: OutgoingHttpHeaders = { ...held, ...own };
    for (const name of DROPPED_HEADERS) delete headers[name];
    return headers;
  }

  private pipeHandlerEvents(connection: SseConnection, source: Observable<unknown>): void {
    // Created first so retirement can reach it even if the source ends while being subscribed;
    // adding to an already-closed Subscription unsubscribes at once.
    const subscription = new Subscription();
    connection.bindHandlerEvents(subscription);
    const fail = (error: unknown, message: string): void => {
      this.logger.error(message, error instanceof Error ? error.stack : String(error));
      connection.end('error', eventFrame(errorFrame(error)));
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
          connection.write(eventFrame(frame), Date.now());
        },
        error: (error: unknown) =>
          fail(error, SseMessages.streamFailed(connection.id, connection.channels)),
        complete: () => connection.end('complete'),
      }),
    );
  }
}

/**
 * The client's `Last-Event-ID` (header, or `lastEventId` query parameter for clients that
 * cannot set headers), if it is an id this server could have written (`isResumableId`, the
 * rule `publish()` applies). Anything else is ignored: never echoed, never logged.
 */
function lastEventIdOf(exchange: HttpExchange): string | undefined {
  const header = exchange.rawRequest.headers['last-event-id'];
  if (typeof header === 'string') return lastEventIdFromHeader(header);
  // Express parses the query string anew on every read of `query`: not for a URL without one.
  if (!exchange.rawRequest.url?.includes('?')) return undefined;
  const query = exchange.request.query?.lastEventId;
  return typeof query === 'string' && isResumableId(query) ? query : undefined;
}

/**
 * One admitted request (see `SseAdmission`), from admission until its stream opens or it is
 * abandoned: a class, so a connect allocates no closures for it.
 */
class Admission implements SseAdmission {
  private abort: AbortController | undefined;

  constructor(
    private readonly streams: SseStreamService,
    readonly route: SseRoute,
    readonly exchange: HttpExchange,
    readonly connection: SseConnection,
    readonly lastEventId: string | undefined,
  ) {}

  /** Created only for handlers that ask for it (@SseAbortSignal()). */
  get signal(): AbortSignal {
    return (this.abort ??= abortOnClose(this.exchange.rawResponse)).signal;
  }

  open(result: unknown, resolved: boolean): void {
    this.streams.openStream(this, result, resolved);
  }

  abandon(): void {
    this.connection.discard();
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
